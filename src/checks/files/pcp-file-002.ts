import {fileModeCheck} from './audit.js'

export const check = fileModeCheck(
  {
    id: 'PCP-FILE-002',
    title: 'The SASL password database is readable only by root and pcp',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['files', 'sasl', 'secrets'],
    rationale:
      'The SASL database (sasldb_path in /etc/sasl2/pmcd.conf, usually /etc/pcp/passwd.db) holds the passwords of ' +
      'PCP users, in a form the PLAIN and SCRAM mechanisms can use to log in. A copy lets anyone authenticate as those users.',
    remediation: 'chown root:pcp /etc/pcp/passwd.db && chmod 0640 /etc/pcp/passwd.db',
    reference: 'pmcd(1) (SASL authentication); saslpasswd2(8)',
    example: {
      fail: '-rw-r--r-- root root /etc/pcp/passwd.db',
      pass: '-rw-r----- root pcp /etc/pcp/passwd.db',
    },
  },
  {component: 'pcp', concerns: ['exposed', 'wrong-type'], roles: ['secret']},
)
