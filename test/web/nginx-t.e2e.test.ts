import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {WEB_CHECKS} from '../../src/checks/web/catalogue.js'
import {nginxBinary, nginxTest, nginxTestArgv, parseNginxTest} from '../../src/exec/nginx.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeEntry} from '../../src/host/tree.js'
import {readNginxConf} from '../../src/parsers/nginx-conf.js'

describe('nginx -t: argv and output', () => {
  it('checks the scratch root from a chroot in a mount namespace of its own', () => {
    const [command, args] = nginxTestArgv('/usr/sbin/nginx', '/tmp/s', ['usr', 'dev'])
    expect(command).toBe('unshare')
    expect(args.slice(0, 7)).toEqual(['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c'])
    expect(args[7]).toContain(
      'exec chroot --userspec=65534:65534 "$root" "$binary" -t -c /etc/nginx/nginx.conf',
    )
    expect(args.slice(8)).toEqual(['sh', '/tmp/s', '/usr/sbin/nginx', 'usr', 'dev'])
  })

  it('keeps the errors with their file and line, not the warnings or the summary', () => {
    expect(
      parseNginxTest(
        'nginx: [warn] conflicting server name "a" on 0.0.0.0:80, ignored\n' +
          '2026/12/07 18:55:29 [emerg] 28585#28585: "client_max_body_size" directive invalid value in /etc/nginx/sites-enabled/pcp:7\n' +
          'nginx: configuration file /etc/nginx/nginx.conf test failed\n',
      ),
    ).toEqual([
      {
        level: 'emerg',
        message: '"client_max_body_size" directive invalid value',
        file: '/etc/nginx/sites-enabled/pcp',
        line: 7,
      },
    ])
    expect(
      parseNginxTest('nginx: [emerg] cannot load certificate "/etc/ssl/x.pem": BIO_new_file() failed\n'),
    ).toEqual([{level: 'emerg', message: 'cannot load certificate "/etc/ssl/x.pem": BIO_new_file() failed'}])
  })

  it('without nginx the syntax is unchecked, not failed', async () => {
    const host = new Host(new MemoryBackend({entries: []}, 'empty'))
    expect(await nginxTest(host, [], [], true, undefined)).toEqual({
      ran: false,
      why: 'nginx is not installed on this machine',
    })
  })
})

const file = (p: string, content: string, mode = 0o644): TreeEntry => ({
  path: p,
  type: 'file',
  mode,
  owner: 'root',
  group: 'root',
  content,
})

/** A Debian-shaped nginx.conf (the parts nginx -t needs), including the sites. */
const NGINX_CONF = `user www-data;
worker_processes auto;
pid /run/nginx.pid;
events {
    worker_connections 768;
}
http {
    sendfile on;
    access_log /var/log/nginx/access.log;
    error_log /var/log/nginx/error.log;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}
`

const SITE = (extra: string) => `server {
    listen 443 ssl;
    server_name pcp1.example.com;
    ssl_certificate /etc/ssl/certs/pcp1.pem;
    ssl_certificate_key /etc/ssl/private/pcp1.key;
    add_header Strict-Transport-Security "max-age=31536000" always;
${extra}
    location /pmapi/ {
        auth_basic "PCP";
        auth_basic_user_file /etc/nginx/pcp.htpasswd;
        proxy_pass http://127.0.0.1:44322;
    }
}
`

describe.runIf(nginxBinary() !== undefined && process.getuid?.() === 0)(
  'PCP-WEB-001 asks the real nginx -t',
  () => {
    let cert = ''
    let key = ''
    let dir = ''
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'pcph-nginx-'))
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '2',
          '-subj',
          '/CN=pcp1.example.com',
          '-keyout',
          `${dir}/key.pem`,
          '-out',
          `${dir}/cert.pem`,
        ],
        {stdio: 'ignore', timeout: 30_000},
      )
      cert = readFileSync(`${dir}/cert.pem`, 'utf8')
      key = readFileSync(`${dir}/key.pem`, 'utf8')
    })
    afterAll(() => rmSync(dir, {recursive: true, force: true}))

    async function web001(site: string) {
      const host = new Host(
        new MemoryBackend(
          {
            entries: [
              file(
                '/etc/passwd',
                'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n',
              ),
              file('/etc/group', 'root:x:0:\nwww-data:x:33:\n'),
              file('/etc/nginx/nginx.conf', NGINX_CONF),
              file('/etc/nginx/sites-enabled/pcp', site),
              file('/etc/nginx/pcp.htpasswd', 'alice:$apr1$x$y\n', 0o640),
              file('/etc/ssl/certs/pcp1.pem', cert),
              file('/etc/ssl/private/pcp1.key', key, 0o600),
              file('/etc/default/pmproxy', 'PMPROXY_LOCAL=1\n'),
            ],
          },
          'nginx',
        ),
      )
      const check = await (
        WEB_CHECKS.find((e) => e.id === 'PCP-WEB-001') as (typeof WEB_CHECKS)[number]
      ).load()
      return {results: await check.run(host), host}
    }

    it('a valid site: nginx -t accepts it, and the pass says so', async () => {
      const {results} = await web001(SITE(''))
      expect(results).toHaveLength(1)
      expect(results[0]?.status).toBe('pass')
      expect(results[0]?.message).toContain('(nginx -t accepts the syntax)')
    })

    it("the audited machine's own listen address and port 443: nginx -t binds them in an empty namespace", async () => {
      const {results} = await web001(
        SITE('').replace('listen 443 ssl;', 'listen 192.0.2.7:443 ssl;\n    listen [2001:db8::7]:443 ssl;'),
      )
      expect(results.map((r) => [r.status, r.message])).toEqual([
        ['pass', expect.stringContaining('(nginx -t accepts the syntax)')],
      ])
    })

    it("a broken site: nginx's own message, at the host path and line", async () => {
      const {results, host} = await web001(SITE('    client_max_body_size 10MB;'))
      expect(results).toEqual([
        expect.objectContaining({
          status: 'fail',
          severity: 'medium',
          path: '/etc/nginx/sites-enabled/pcp',
          line: 7,
          evidence:
            '[emerg] "client_max_body_size" directive invalid value in /etc/nginx/sites-enabled/pcp:7',
        }),
      ])
      expect(results[0]?.message).toMatch(
        /^nginx -t refuses the configuration: "client_max_body_size" directive invalid value/,
      )
      // Our reader read the same files nginx -t was given.
      expect((await readNginxConf(host))?.files).toEqual([
        '/etc/nginx/nginx.conf',
        '/etc/nginx/sites-enabled/pcp',
      ])
    })

    it("an unclosed brace: nginx's first error, not our reader's as well", async () => {
      const {results} = await web001(SITE('    location /x {'))
      expect(results).toEqual([
        expect.objectContaining({
          status: 'fail',
          path: '/etc/nginx/sites-enabled/pcp',
          line: 8,
          evidence: '[emerg] location "/pmapi/" is outside location "/x" in /etc/nginx/sites-enabled/pcp:8',
        }),
      ])
    })

    it("this machine's /etc/nginx and /var/log/nginx are left as they were", async () => {
      const before = execFileSync('ls', ['-la', '--time-style=full-iso', '/etc/nginx', '/var/log/nginx'], {
        encoding: 'utf8',
      })
      await web001(SITE('    client_max_body_size 10MB;'))
      expect(
        execFileSync('ls', ['-la', '--time-style=full-iso', '/etc/nginx', '/var/log/nginx'], {
          encoding: 'utf8',
        }),
      ).toBe(before)
    })
  },
)
