import type {Check} from '../types.js'
import {webCheck} from './check.js'

export const check: Check = webCheck(
  {
    id: 'PCP-WEB-003',
    title: 'The htpasswd file of a pmproxy front end is root-owned and not world-readable',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'nginx', 'files'],
    rationale:
      'auth_basic_user_file holds the password hashes of everyone who may use pmproxy through nginx. Readable by ' +
      'every local user, the hashes can be guessed offline; writable by anyone but root, a user can add a login. ' +
      "nginx's workers (www-data on Debian) need to read it: 0640 root:www-data.",
    remediation: 'chown root:www-data FILE && chmod 0640 FILE (the finding names the file).',
    reference: 'nginx ngx_http_auth_basic_module (auth_basic_user_file); htpasswd(1)',
    example: {
      fail: '/etc/nginx/pcp.htpasswd 0644 root:root',
      pass: '/etc/nginx/pcp.htpasswd 0640 root:www-data',
    },
  },
  'the htpasswd files in use are root-owned and readable only by root and their group',
)
