import {pmproxyCheck} from './check.js'

export const check = pmproxyCheck(
  {
    id: 'PCP-PMPROXY-005',
    title: 'pmproxy.conf and pmproxy.options hold no setting that pmproxy ignores or reads otherwise',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'hygiene'],
    rationale:
      'pmproxy never reads pcp.enabled or http.enabled (shipped, but setting them to false disables nothing), has ' +
      'no bind, port or ssl_* keys (a widely copied PCP security guide), ignores keys before the first [section], looks up section names ' +
      'case-sensitively, skips lines without "=" or ":" and keeps only the text of an indented continuation line. ' +
      'PCP 6\'s rc script passes only the pmproxy.options lines that start with "-" (an indented -i, or the ' +
      'PMPROXY_LOCAL=1 that older versions took from there, is dropped). Each of these looks like protection and ' +
      'protects nothing.',
    remediation:
      'Delete the ignored settings; restrict pmproxy with PMPROXY_LOCAL=1 or -i, and configure TLS in /etc/pcp/tls.conf.',
    reference:
      'pmproxy(1); a widely copied PCP security guide, "Configure PMProxy"; inih ini.c as used by src/libpcp_web/src/config.c; ' +
      'Debian pcp 6.0.3 /etc/init.d/pmproxy',
    example: {
      fail: '[pmproxy]\nhttp.enabled = false\nbind = 127.0.0.1',
      pass: '[pmproxy]\nsecure.enabled = true',
    },
  },
  'pmproxy reads every setting in pmproxy.conf and pmproxy.options as written',
)
