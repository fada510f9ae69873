import type {Check} from '../types.js'
import {webCheck} from './check.js'

export const check: Check = webCheck(
  {
    id: 'PCP-WEB-002',
    title: 'A web front end to pmproxy is served over TLS with HSTS',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmproxy', 'nginx', 'tls'],
    rationale:
      'Basic authentication sends the password with every request: without TLS anyone on the path reads it, and ' +
      "the metrics with it. HSTS (Strict-Transport-Security) keeps browsers from being talked down to plain HTTP. nginx's " +
      'add_header is inherited only by a level that has none of its own, so a location with its own headers loses ' +
      "the server's HSTS.",
    remediation:
      'listen 443 ssl; with ssl_certificate and ssl_certificate_key, and add_header Strict-Transport-Security "max-age=31536000" always; ' +
      'at the level the location uses.',
    reference: 'nginx ngx_http_ssl_module, ngx_http_headers_module (add_header); RFC 6797',
    example: {
      fail: 'server { listen 80; location /pmapi/ { ... proxy_pass http://127.0.0.1:44322; } }',
      pass: 'server { listen 443 ssl; add_header Strict-Transport-Security "max-age=31536000" always; ... }',
    },
  },
  'every site that reaches pmproxy is served over TLS with HSTS',
)
