import {nginxBinary, nginxTest} from '../../exec/nginx.js'
import type {Host} from '../../host/host.js'
import {NGINX_CONF, type NginxDirective, readNginxConf, walkNginx} from '../../parsers/nginx-conf.js'
import {pmproxyReachability} from '../../net/exposure.js'
import {formatMode} from '../files/modes.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {withRemedy} from '../remedy.js'

const PMPROXY_PORTS = ['44322', '44323']

/** One location that hands requests to pmproxy, with the blocks around it (http, server, location...). */
export interface PmproxyLocation {
  location: NginxDirective
  parents: readonly NginxDirective[]
  proxyPass: NginxDirective
}

/** `http://127.0.0.1:44322/` -> `127.0.0.1:44322`; upstream names resolve to their servers. */
function proxyTargets(url: string, upstreams: ReadonlyMap<string, string[]>): string[] {
  const authority = /^https?:\/\/([^/]+)/.exec(url)?.[1]
  if (!authority) return []
  return upstreams.get(authority) ?? [authority]
}

const portOf = (authority: string) => /:(\d+)$/.exec(authority)?.[1]

/** The value of the nearest directive of this name, looking from the innermost block outwards. */
function nearest(name: string, scopes: readonly NginxDirective[]): NginxDirective | undefined {
  for (const scope of [...scopes].reverse()) {
    const found = scope.block?.findLast((d) => d.name === name)
    if (found) return found
  }
  return undefined
}

/** add_header is inherited only by a level that has none of its own. */
function effectiveHeaders(scopes: readonly NginxDirective[]): NginxDirective[] {
  for (const scope of [...scopes].reverse()) {
    const headers = scope.block?.filter((d) => d.name === 'add_header') ?? []
    if (headers.length > 0) return headers
  }
  return []
}

const where = (d: NginxDirective) => `${d.file} line ${d.line}`

async function htpasswdFinding(host: Host, file: NginxDirective): Promise<Finding | undefined> {
  const path = file.args[0] ?? ''
  const absolute = path.startsWith('/') ? path : `/etc/nginx/${path}`
  const st = await host.stat(absolute, {follow: true})
  if (!st.ok)
    return {
      check: 'PCP-WEB-003',
      path: file.file,
      line: file.line,
      message: `auth_basic_user_file ${absolute}: ${st.message}; nginx refuses every login (500) until it exists`,
    }
  const owner = await host.ownerOf(st.value)
  const mode = st.value.mode
  if ((mode & 0o004) === 0 && (mode & 0o022) === 0 && st.value.uid === 0) return undefined
  const why =
    mode & 0o002
      ? 'every user can replace its password hashes'
      : mode & 0o020
        ? `group ${owner.split(':')[1]} can replace its password hashes`
        : mode & 0o004
          ? 'every local user can read its password hashes and guess them offline'
          : `it is owned by ${owner.split(':')[0]}, not root`
  return {
    check: 'PCP-WEB-003',
    path: absolute,
    message: `the htpasswd file of ${where(file)}: ${why}`,
    evidence: `${formatMode(mode)} ${owner}`,
    // nginx's workers (www-data) read it per request: root:www-data 0640 lets them and nobody else.
    ...withRemedy({kind: 'attrs', path: absolute, owner: 'root', group: 'www-data', mode: 0o640}),
  }
}

/** nginx sites that proxy to pmproxy, judged for authentication, TLS with HSTS and the htpasswd file. */
export const analyzeWebFrontEnd = perHost(
  async (host: Host): Promise<Outcome<{locations: PmproxyLocation[]; syntax: string}>> => {
    const conf = await readNginxConf(host)
    if (!conf) return {state: 'absent', reason: 'no nginx configuration under /etc/nginx'}
    const upstreams = new Map<string, string[]>()
    walkNginx(conf.directives, (d) => {
      if (d.name === 'upstream' && d.args[0])
        upstreams.set(
          d.args[0],
          (d.block ?? []).filter((s) => s.name === 'server').map((s) => s.args[0] ?? ''),
        )
    })
    const locations: PmproxyLocation[] = []
    walkNginx(conf.directives, (d, parents) => {
      if (d.name !== 'proxy_pass' || !d.args[0]) return
      const targets = proxyTargets(d.args[0], upstreams)
      if (!targets.some((t) => PMPROXY_PORTS.includes(portOf(t) ?? ''))) return
      const location = [...parents].reverse().find((p) => p.name === 'location') ?? parents.at(-1)
      if (location) locations.push({location, parents: parents.filter((p) => p !== location), proxyPass: d})
    })
    if (locations.length === 0)
      return {state: 'absent', reason: 'no nginx site proxies to pmproxy (port 44322/44323)'}
    const findings: Finding[] = []
    const seenFiles = new Set<string>()
    for (const {location, parents, proxyPass} of locations) {
      const scopes = [...parents, location]
      const basic = nearest('auth_basic', scopes)
      const request = nearest('auth_request', scopes)
      const basicOn = basic !== undefined && basic.args[0] !== 'off'
      const requestOn = request !== undefined && request.args[0] !== 'off'
      const at = `location ${location.args.join(' ')} (${where(location)})`
      if (!basicOn && !requestOn)
        findings.push({
          check: 'PCP-WEB-001',
          path: location.file,
          line: location.line,
          message:
            `${at} passes requests to pmproxy (${proxyPass.args[0]}) with no authentication (no auth_basic or ` +
            'auth_request in force): anyone who reaches the site may use the REST API, /pmapi/store included',
        })
      if (basicOn) {
        const file = nearest('auth_basic_user_file', scopes)
        if (file && !seenFiles.has(`${file.file}:${file.line}`)) {
          seenFiles.add(`${file.file}:${file.line}`)
          const finding = await htpasswdFinding(host, file)
          if (finding) findings.push(finding)
        }
      }
      const server = [...parents].reverse().find((p) => p.name === 'server')
      const listens = server?.block?.filter((d) => d.name === 'listen') ?? []
      const tls =
        listens.some((l) => l.args.includes('ssl')) ||
        server?.block?.some((d) => d.name === 'ssl' && d.args[0] === 'on')
      const hsts = effectiveHeaders(scopes).some(
        (h) => (h.args[0] ?? '').toLowerCase() === 'strict-transport-security',
      )
      if (!tls)
        findings.push({
          check: 'PCP-WEB-002',
          path: (server ?? location).file,
          line: (server ?? location).line,
          message: `the server block of ${at} listens without TLS (no "listen ... ssl"): logins and metrics cross the network in clear`,
        })
      else if (!hsts)
        findings.push({
          check: 'PCP-WEB-002',
          path: location.file,
          line: location.line,
          message:
            `${at} is served over TLS without an HSTS header in force (add_header Strict-Transport-Security ` +
            '"max-age=31536000" always; note that a location with its own add_header drops the server\'s)',
        })
    }
    const reachable = await pmproxyReachability(host)
    if (reachable.exposed)
      findings.push({
        check: 'PCP-WEB-001',
        path: locations[0]?.location.file ?? '/etc/nginx',
        line: locations[0]?.location.line ?? 0,
        message:
          `nginx fronts pmproxy, but ${reachable.why}: clients can go around nginx's authentication to port 44322; ` +
          'keep pmproxy on loopback (PMPROXY_LOCAL=1 in /etc/default/pmproxy, or -i 127.0.0.1 in pmproxy.options)',
      })
    const checked = await checkSyntax(host, conf)
    findings.push(...checked.findings)
    // nginx's own message, when it has one, says what our reader's problems would.
    if (!checked.located)
      for (const problem of conf.problems)
        findings.push({
          check: 'PCP-WEB-001',
          path: problem.file,
          line: problem.line,
          message: `nginx cannot read its configuration as written: ${problem.message}`,
          undecided: true,
        })
    return {state: 'judged', locations, findings, syntax: checked.syntax}
  },
)

/**
 * `nginx -t` over the root's configuration, when nginx is installed here: each error it places in
 * a file and line is a finding in nginx's own words. An error with no place (a certificate it
 * cannot load, a log it cannot open) comes after the syntax was read, so the syntax is said to pass.
 */
async function checkSyntax(
  host: Host,
  conf: NonNullable<Awaited<ReturnType<typeof readNginxConf>>>,
): Promise<{findings: Finding[]; located: boolean; syntax: string}> {
  const hasMain = await host.exists(NGINX_CONF)
  const test = await nginxTest(host, conf.files, conf.directives, hasMain, nginxBinary())
  if (!test.ran) return {findings: [], located: false, syntax: `syntax unchecked: ${test.why}`}
  const around =
    test.mainConf === 'default'
      ? "; the root has no nginx.conf, so Debian's default one included the sites"
      : ''
  const located = test.errors.filter((e) => e.file !== undefined)
  const findings: Finding[] = located.map((e) => ({
    check: 'PCP-WEB-001',
    path: e.file as string,
    line: e.line as number,
    severity: 'medium',
    message:
      `nginx -t refuses the configuration: ${e.message}; until it is fixed a reload keeps ` +
      'what nginx runs now and a restart or boot leaves the front end down, so the authentication and TLS read ' +
      'here are not what nginx serves',
    evidence: `[${e.level}] ${e.message} in ${e.file}:${e.line}`,
  }))
  const stopped = test.errors.find((e) => e.file === undefined)
  const syntax =
    located.length > 0
      ? 'nginx -t refuses the syntax'
      : `nginx -t accepts the syntax${around}${stopped ? `; it then stopped at: ${stopped.message}` : ''}`
  return {findings, located: located.length > 0, syntax}
}
