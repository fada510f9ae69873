import {describe, expect, it} from 'vitest'

import {applyLineEdits} from '../../src/fix/edits.js'
import {restartArgv} from '../../src/fix/restart.js'
import {validatorFor} from '../../src/fix/validate.js'

describe('applyLineEdits: what the printed sed and printf commands do, in memory', () => {
  it('checks every line against the text the audit saw before changing any', () => {
    expect(applyLineEdits('a\nb\n', [{op: 'replace', line: 2, expect: 'x', text: 'y'}])).toEqual({
      ok: false,
      reason: 'line 2 reads "b", not "x" as when audited',
    })
    expect(applyLineEdits('a\n', [{op: 'delete', line: 3, expect: 'c'}])).toEqual({
      ok: false,
      reason: 'line 3 is gone (the file has 1 lines now)',
    })
  })

  it('applies edits of several remedies against the original line numbers, bottom-up, appends last', () => {
    const text = 'one\n  -t 10\nthree\nPMCD_LOCAL="1"\n'
    expect(
      applyLineEdits(text, [
        {op: 'append', text: 'PMPROXY_LOCAL=1'},
        {op: 'delete', line: 2, expect: '  -t 10'},
        {op: 'replace', line: 4, expect: 'PMCD_LOCAL="1"', text: 'PMCD_LOCAL=1'},
      ]),
    ).toEqual({ok: true, text: 'one\nthree\nPMCD_LOCAL=1\nPMPROXY_LOCAL=1\n'})
  })

  it('keeps a missing final newline as sed does, and starts an append on a new line', () => {
    expect(applyLineEdits('a\nb', [{op: 'replace', line: 2, expect: 'b', text: 'B'}])).toEqual({
      ok: true,
      text: 'a\nB',
    })
    expect(applyLineEdits('a\nb', [{op: 'delete', line: 2, expect: 'b'}])).toEqual({ok: true, text: 'a\n'})
    expect(applyLineEdits('a', [{op: 'append', text: 'b\n'}])).toEqual({ok: true, text: 'a\nb\n'})
    expect(applyLineEdits('', [{op: 'append', text: 'b'}])).toEqual({ok: true, text: 'b\n'})
  })

  it('refuses two different edits of one line', () => {
    expect(
      applyLineEdits('a\n', [
        {op: 'replace', line: 1, expect: 'a', text: 'b'},
        {op: 'delete', line: 1, expect: 'a'},
      ]),
    ).toEqual({ok: false, reason: 'two edits change line 1'})
  })
})

describe('the fixer around its edits', () => {
  it('knows which real program validates a path', () => {
    expect(validatorFor('/etc/pcp/pmcd/pmcd.conf')).toBe('pmcd-conf')
    expect(validatorFor('/etc/systemd/system/pmcd.service.d/pcp-harden.conf')).toBe('systemd-unit')
    expect(validatorFor('/etc/ssh/sshd_config')).toBe('sshd-config')
    expect(validatorFor('/etc/ssh/sshd_config.d/10-pulse.conf')).toBe('sshd-config')
    expect(validatorFor('/root/.ssh/authorized_keys')).toBe('authorized-keys')
    expect(validatorFor('/etc/default/pmcd')).toBeUndefined()
    expect(validatorFor('/etc/default/pmcd', 'pmcd-conf')).toBe('pmcd-conf')
  })

  it('restarts through systemctl: daemon-reload first, then one restart of every unit', () => {
    expect(restartArgv(['pmcd.service', 'daemon-reload', 'pmproxy.service'])).toEqual([
      ['daemon-reload'],
      ['restart', 'pmcd.service', 'pmproxy.service'],
    ])
    expect(restartArgv([])).toEqual([])
  })
})
