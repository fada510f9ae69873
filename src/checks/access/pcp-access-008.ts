import {ASIDE_DIR} from '../pmcd/remedies.js'
import {withRemedy} from '../remedy.js'
import type {Check} from '../types.js'

const SEED_FILE = '/etc/pcp/pmcd/pmcd.access'

export const check: Check = {
  id: 'PCP-ACCESS-008',
  title: 'No pmcd.access file that PCP never reads',
  severity: 'medium',
  profiles: ['pcp-collector'],
  tags: ['pmcd', 'access', 'guide-mismatch'],
  rationale:
    'Hardening guides (a widely copied PCP security guide) put rules like "10.0.0.0/8 sasl", "* reject" or "viewer-host cert readonly" in ' +
    '/etc/pcp/pmcd/pmcd.access. PCP has no such file: pmcd reads access rules only from the [access] section of ' +
    'pmcd.conf (and pmcd.conf.access). Whatever the file says protects nothing, while its presence suggests it does.',
  remediation:
    'pcp-harden access write --policy /etc/pcp/pmcd/pmcd.access --dry-run (translates it into [access] statements ' +
    `and says what PCP cannot enforce), then move the file out of /etc/pcp (the fix moves it to ${ASIDE_DIR}).`,
  reference:
    'a widely copied PCP security guide (its "pmcd.access" file); pmcd(1) FILES: pmcd reads pmcd.conf and pmcd.conf.access only',
  example: {
    fail: '/etc/pcp/pmcd/pmcd.access:\n  10.0.0.0/8 sasl\n  * reject',
    pass: '(no /etc/pcp/pmcd/pmcd.access)',
  },
  async run(host) {
    const text = await host.readText(SEED_FILE)
    if (!text.ok && text.missing) return [{status: 'pass', path: SEED_FILE, message: 'not present'}]
    if (!text.ok) return [{status: 'error', path: SEED_FILE, message: text.message}]
    const rules = text.value.split('\n').filter((l) => l.replace(/#.*$/, '').trim() !== '').length
    return [
      {
        status: 'fail',
        path: SEED_FILE,
        line: 1,
        message:
          `PCP never reads this file: its ${rules} rule${rules === 1 ? '' : 's'} protect nothing (pmcd reads only ` +
          "pmcd.conf's [access] section); moved aside, not deleted, it stays at hand for " +
          `"pcp-harden access write --policy ${ASIDE_DIR}/pmcd.access"`,
        // Moving it changes nothing pmcd does, and keeps what the admin meant for the translation.
        ...withRemedy({kind: 'move', path: SEED_FILE, to: ASIDE_DIR}),
      },
    ]
  },
}
