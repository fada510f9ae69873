import {describe, expect, it} from 'vitest'

import {WEB_CHECKS} from '../../src/checks/web/catalogue.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend, type TreeSpec} from '../../src/host/tree.js'
import {parseNginxConf, readNginxConf} from '../../src/parsers/nginx-conf.js'
import {seedTreeWith, seedTreeWithout} from '../checks/seed-tree.js'
import {SITE, site, WEB_BREAKS} from './breaks.js'

async function resultsOn(spec: TreeSpec) {
  const host = new Host(new MemoryBackend(spec, 'test'))
  const checks = await Promise.all(WEB_CHECKS.map((e) => e.load()))
  return (
    await Promise.all(checks.map(async (c) => (await c.run(host)).map((r) => ({...r, check: c.id}))))
  ).flat()
}

describe('the nginx configuration parser', () => {
  it('keeps blocks, arguments, quotes and line numbers', () => {
    const conf = parseNginxConf(
      'http {\n  # a comment; with { braces }\n  server {\n    add_header X-A "a \\"b\\" c" always;\n' +
        '    location ~ ^/pmapi/(.*)$ { proxy_pass http://127.0.0.1:44322/$1; }\n  }\n}\n',
      '/etc/nginx/nginx.conf',
    )
    expect(conf.problems).toEqual([])
    const server = conf.directives[0]?.block?.[0]
    expect(server).toMatchObject({name: 'server', line: 3})
    expect(server?.block?.[0]).toMatchObject({
      name: 'add_header',
      args: ['X-A', 'a "b" c', 'always'],
      line: 4,
    })
    expect(server?.block?.[1]).toMatchObject({
      name: 'location',
      args: ['~', '^/pmapi/(.*)$'],
      line: 5,
      block: [{name: 'proxy_pass', args: ['http://127.0.0.1:44322/$1'], line: 5}],
    })
  })

  it('names the file and line of what nginx would reject', () => {
    const problems = (text: string) => parseNginxConf(text, '/etc/nginx/x.conf').problems
    expect(problems('server {\n listen 80;\n')).toEqual([
      {file: '/etc/nginx/x.conf', line: 1, message: 'unexpected end of file: this "{" is never closed'},
    ])
    expect(problems('listen 80\n}')).toEqual([
      {file: '/etc/nginx/x.conf', line: 1, message: '"listen" has no ";" before "}"'},
      {file: '/etc/nginx/x.conf', line: 2, message: 'unexpected "}"'},
    ])
    expect(problems('a "b;\n')).toEqual([
      {file: '/etc/nginx/x.conf', line: 1, message: 'unterminated double-quoted string'},
      {file: '/etc/nginx/x.conf', line: 1, message: 'unexpected end of file: "a" has no ";"'},
    ])
  })

  it('follows includes with globs, relative to /etc/nginx, in name order', async () => {
    const host = new Host(
      new MemoryBackend(
        {
          entries: [
            {
              path: '/etc/nginx/nginx.conf',
              type: 'file',
              mode: 0o644,
              owner: 'root',
              group: 'root',
              content: 'http {\n  include sites-enabled/*;\n}\n',
            },
            {
              path: '/etc/nginx/sites-enabled/b',
              type: 'file',
              mode: 0o644,
              owner: 'root',
              group: 'root',
              content: 'server { listen 2; }\n',
            },
            {
              path: '/etc/nginx/sites-enabled/a',
              type: 'file',
              mode: 0o644,
              owner: 'root',
              group: 'root',
              content: '\nserver { listen 1; }\n',
            },
          ],
        },
        'test',
      ),
    )
    const conf = await readNginxConf(host)
    expect(conf?.files).toEqual([
      '/etc/nginx/nginx.conf',
      '/etc/nginx/sites-enabled/a',
      '/etc/nginx/sites-enabled/b',
    ])
    expect(conf?.directives[0]?.block?.map((d) => [d.file, d.line, d.block?.[0]?.args[0]])).toEqual([
      ['/etc/nginx/sites-enabled/a', 2, '1'],
      ['/etc/nginx/sites-enabled/b', 1, '2'],
    ])
  })
})

describe('PCP-WEB checks', () => {
  it('pass on a TLS site with HSTS and a login, pmproxy on loopback, a 0640 htpasswd', async () => {
    const results = await resultsOn(seedTreeWith())
    expect(results.map((r) => [r.check, r.status])).toEqual([
      ['PCP-WEB-001', 'pass'],
      ['PCP-WEB-002', 'pass'],
      ['PCP-WEB-003', 'pass'],
    ])
  })

  it('skip without nginx, saying why', async () => {
    const results = await resultsOn(seedTreeWithout('/etc/nginx'))
    expect(results[0]).toMatchObject({
      status: 'skip',
      message: 'not applicable: no nginx configuration under /etc/nginx',
    })
  })

  it.each(WEB_BREAKS)('%s', async (_name, changes, ids) => {
    const failed = (await resultsOn(seedTreeWith(...changes))).filter((r) => r.status === 'fail')
    expect([...new Set(failed.map((r) => r.check))]).toEqual(ids)
  })

  it('say where and what, with the exact fix for the htpasswd file', async () => {
    const noAuth = (await resultsOn(seedTreeWith({path: SITE, content: site('')}))).find(
      (r) => r.status === 'fail',
    )
    expect(noAuth).toMatchObject({
      path: SITE,
      line: 6,
      message: expect.stringMatching(/^location \/pmapi\/ .* no authentication/),
    })
    const loose = (await resultsOn(seedTreeWith({path: '/etc/nginx/pcp.htpasswd', mode: 0o644}))).find(
      (r) => r.status === 'fail',
    )
    expect(loose).toMatchObject({
      path: '/etc/nginx/pcp.htpasswd',
      message: expect.not.stringContaining('fix:'),
      fix: 'chown root:www-data /etc/nginx/pcp.htpasswd && chmod 0640 /etc/nginx/pcp.htpasswd',
      remedy: {kind: 'attrs', path: '/etc/nginx/pcp.htpasswd', owner: 'root', group: 'www-data', mode: 0o640},
    })
  })
})
