import type {TreeEntry} from '../../src/host/tree.js'

type Change = Partial<TreeEntry> & {path: string}

export const SITE = '/etc/nginx/sites-enabled/pcp'

/** The seed tree's nginx site with these lines in its pmapi location and this listen line. */
export function site(location: string, listen = 'listen 443 ssl;'): string {
  return `server {
    ${listen}
    ssl_certificate /etc/ssl/certs/pcp1.pem;
    ssl_certificate_key /etc/ssl/private/pcp1.key;
    add_header Strict-Transport-Security "max-age=31536000" always;
    location /pmapi/ {
${location
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
        proxy_pass http://127.0.0.1:44322;
    }
}
`
}

const AUTH = 'auth_basic "PCP";\nauth_basic_user_file /etc/nginx/pcp.htpasswd;'

/** Ways to break the seed tree's nginx front end: a name, the changes, the PCP-WEB checks that fail. */
export const WEB_BREAKS: [string, Change[], string[]][] = [
  ['a location without authentication', [{path: SITE, content: site('')}], ['PCP-WEB-001']],
  [
    'pmproxy on every interface behind nginx',
    [
      {path: '/etc/default/pmproxy', content: '# PMPROXY_LOCAL=1\n'},
      {path: '/lib/systemd/system/pmproxy.service', content: '[Service]\n'},
      {
        path: '/etc/systemd/system/multi-user.target.wants/pmproxy.service',
        type: 'symlink',
        target: '/lib/systemd/system/pmproxy.service',
      },
    ],
    ['PCP-WEB-001'],
  ],
  ['plain HTTP', [{path: SITE, content: site(AUTH, 'listen 80;')}], ['PCP-WEB-002']],
  [
    "a location's own add_header drops the server's HSTS",
    [{path: SITE, content: site(`${AUTH}\nadd_header X-Frame-Options DENY;`)}],
    ['PCP-WEB-002'],
  ],
  ['a world-readable htpasswd file', [{path: '/etc/nginx/pcp.htpasswd', mode: 0o644}], ['PCP-WEB-003']],
]
