import type {Check} from '../types.js'
import {webCheck} from './check.js'

export const check: Check = webCheck(
  {
    id: 'PCP-WEB-001',
    title: 'A web front end to pmproxy authenticates, and is the only way in',
    severity: 'high',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'nginx', 'network'],
    rationale:
      "pmproxy 6's REST API has no authentication of its own, and pmcd treats pmproxy as a local client. An nginx " +
      'site that proxies to pmproxy (proxy_pass to port 44322) is the usual way to put a login in front of it: the ' +
      'location needs auth_basic or auth_request in force (inherited from server or http unless set off), and pmproxy ' +
      'itself must listen on loopback only, or clients simply go around nginx to port 44322. When nginx is installed ' +
      'where pcp-harden runs, `nginx -t` confirms the syntax: a configuration nginx refuses is not what it serves.',
    remediation:
      'Put auth_basic "PCP" and auth_basic_user_file (or auth_request) in the location, and keep pmproxy on loopback: ' +
      'PMPROXY_LOCAL=1 in /etc/default/pmproxy or -i 127.0.0.1 in pmproxy.options.',
    reference:
      'nginx ngx_http_auth_basic_module, ngx_http_auth_request_module, ngx_http_proxy_module; nginx(8) -t; pmproxy(1)',
    example: {
      fail: 'location /pmapi/ { proxy_pass http://127.0.0.1:44322; }',
      pass: 'location /pmapi/ { auth_basic "PCP"; auth_basic_user_file /etc/nginx/pcp.htpasswd; proxy_pass http://127.0.0.1:44322; } and PMPROXY_LOCAL=1',
    },
  },
  'every location that reaches pmproxy requires authentication, and pmproxy listens on loopback only',
  true,
)
