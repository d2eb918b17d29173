"""Definition texts the tests of validation share: a process file with seven
independent mistakes (each reported once, in one pass)."""

from __future__ import annotations

SEVEN = """\
process: mini
version: 1
labels: {zh: 小流程, en: Mini process}
case_prefix: MI
roles:
  clerk: {labels: {zh: 办事员, en: Clerk}}
  boss: {labels: {zh: 领导, en: Boss}}
fields:
  amount: {type: integr, labels: {zh: 金额, en: Amount}}
  kind: {type: enum, values: [a, b], labels: {zh: 类别, en: Kind}}
submit:
  roles: [clerk]
states:
  - id: draft
    labels: {zh: 草稿, en: Draft}
    initial: true
    responsibel: clerk
  - id: review
    labels: {zh: 审核, en: Review}
    labels: {zh: 复核, en: Check}
    timers:
      - {id: wait, after: 3x}
  - id: check
    labels: {zh: 核对, en: Check}
  - id: done
    labels: {zh: 完成, en: Done}
    final: true
transitions:
  - triger: send
    labels: {zh: 提交, en: Send}
    source: draft
    dest: review
    roles: [clerk]
  - trigger: verify
    labels: {zh: 核对, en: Verify}
    source: reveiw
    dest: check
    roles: [boss]
  - trigger: approve
    labels: {zh: 批准, en: Approve}
    source: check
    dest: done
    roles: [boss]
    when: "amont > 0"
"""
