import fc from 'fast-check'

/**
 * A grammar of pmcd's `[access]` section (config.c: ParseAccess, ParseNames, ParseAccessSpec;
 * access.c: host specs and permission clashes), as fast-check arbitraries, sampled with a fixed
 * seed: the same sections on every run. Mostly well-formed statements, with every host form, op
 * list and separator pmcd's scanner knows, names drawn from a small pool so that the same clients
 * meet again (clashes at every level), and, now and then, each way a statement can be malformed.
 *
 * Names resolve only through the hosts file the differential test gives pmcd (no DNS): `localhost`,
 * MONITOR (an address of its own), GONE (listed nowhere: it never resolves), numeric addresses.
 * ASCII whitespace only.
 */
export const MONITOR = 'monitor.test'
export const MONITOR_ADDRESS = '10.9.8.7'
export const GONE = 'gone.test'

const pick = <T>(...items: T[]) => fc.constantFrom(...items)

/** A keyword in any case, now and then quoted (pmcd compares keywords quoted or not). */
const keyword = (word: string) =>
  fc
    .tuple(fc.array(fc.boolean(), {minLength: word.length, maxLength: word.length}), fc.nat(19))
    .map(([upper, quote]) => {
      const text = quote < 14 ? word : [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')
      return quote === 19 ? `"${text}"` : text
    })

const IPV4_WILDCARDS = pick(
  '.*',
  '10.*',
  '10.1.*',
  '10.1.2.*',
  '10.9.8.*',
  '10.9.*',
  '127.*',
  '127.0.0.*',
  '10.1*',
  '10..*',
  '+10.*',
  '010.*',
  '192.168.1.*',
)
const BAD_IPV4_WILDCARDS = pick(
  '10.*.1',
  '*.1',
  '10.1.2.3.*',
  '256.*',
  'a.*',
  '10*',
  '.1.*',
  '-1.*',
  '10.1.*.*',
)
const IPV6 = pick('"::1"', '"fd00::2"', '"fe80::1"', '"0:0::1"', '"2001:db8::7"', '"::ffff:10.9.8.7"')
const IPV6_WILDCARDS = pick(
  '":*"',
  '"::*"',
  '"fd00:*"',
  '"fd00::*"',
  '"FD00:*"',
  '"fe80:1:*"',
  '"2001:db8:*"',
  '"1:2:3:4:5:6:7:*"',
)
const BAD_IPV6 = pick(
  '"::1:*"',
  '"1:2:3:4:5:6:7:8:*"',
  '"fd00:*:1"',
  '"g::*"',
  '"12345:*"',
  '":1:*"',
  '"fd00::1::*"',
  '::1',
  'fd00:*',
)
const SPECIAL = pick(
  '"unix:"',
  '"unix:*"',
  '"unix:/run/x"',
  '"local:"',
  '"local:*"',
  '*',
  '"*"',
  'local:*',
  'unix:',
  '"LOCAL:*"',
)
const NAMES = pick(
  'localhost',
  'LOCALHOST',
  '"localhost"',
  MONITOR,
  `"${MONITOR}"`,
  GONE,
  '10.0.0.0/8',
  '127.0.0.1',
  MONITOR_ADDRESS,
  '10.1.2.3',
  '10.1',
  '192.168.1.0',
  '256.1.1.1',
  '10.1.2.3.4',
)
const ODD_NAMES = pick('[', ']', '""', '"two words"', 'host*')

/** Names pmcd takes (one of them may still not resolve: GONE, CIDR). */
const goodHost = fc.oneof(
  {weight: 6, arbitrary: NAMES},
  {weight: 5, arbitrary: IPV4_WILDCARDS},
  {weight: 4, arbitrary: SPECIAL.filter((n) => !/^(local:\*|unix:|"LOCAL:\*")$/.test(n))},
  {weight: 2, arbitrary: IPV6},
  {weight: 3, arbitrary: IPV6_WILDCARDS},
)
const hostName = fc.oneof(
  {weight: 6, arbitrary: NAMES},
  {weight: 5, arbitrary: IPV4_WILDCARDS},
  {weight: 4, arbitrary: SPECIAL},
  {weight: 2, arbitrary: IPV6},
  {weight: 3, arbitrary: IPV6_WILDCARDS},
  {weight: 1, arbitrary: BAD_IPV4_WILDCARDS},
  {weight: 1, arbitrary: BAD_IPV6},
  {weight: 1, arbitrary: ODD_NAMES},
)
const userName = pick('root', 'daemon', '*', '"root"', 'nosuchuser', '0', 'bin')
const groupName = pick('root', 'adm', '*', 'nosuchgroup', '"adm"', 'daemon')

const count = fc.oneof(
  {weight: 8, arbitrary: pick('1', '2', '3', '5', '10', '64')},
  {weight: 1, arbitrary: pick('0', '-1', '+5', '4294967296', '4294967297', 'abc', '"3"', '99999999999')},
)

/** One item of a permission list. */
const opItem = fc.oneof(
  {weight: 6, arbitrary: keyword('fetch')},
  {weight: 5, arbitrary: keyword('store')},
  {weight: 5, arbitrary: keyword('all')},
  {
    weight: 3,
    arbitrary: fc
      .tuple(keyword('all'), keyword('except'), pick('fetch', 'store', 'fetch, store', 'all', ''))
      .map((p) => p.join(' ').trimEnd()),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        keyword('maximum'),
        count,
        fc.oneof(
          {weight: 6, arbitrary: keyword('connections')},
          {weight: 1, arbitrary: pick('connection', '')},
        ),
      )
      .map((p) => p.join(' ').trimEnd()),
  },
  {weight: 1, arbitrary: pick('unlimited connections', 'read', 'write', 'metrics=kernel.*', '{fetch}')},
)

/** A permission list pmcd takes, for an allow (a limit allowed) or a disallow statement. */
const goodOps = (allow: boolean) =>
  fc
    .tuple(
      pick(
        'fetch',
        'store',
        'fetch, store',
        'store, fetch',
        'all',
        'all except fetch',
        'all except store',
        'fetch, fetch',
        'all, all',
        'FETCH',
        'All Except Store',
      ),
      fc.nat(5),
      pick('1', '2', '3', '10'),
    )
    .map(([ops, limit, n]) =>
      allow && limit === 0
        ? `${ops}, maximum ${n} connections`
        : allow && limit === 1
          ? `maximum ${n} connections, ${ops}`
          : ops,
    )

/** Whitespace between tokens: blanks, a new line, a comment to the end of the line, a continued line. */
const gap = fc.oneof(
  {weight: 12, arbitrary: pick(' ')},
  {weight: 2, arbitrary: pick('', '\t', '  ')},
  {weight: 2, arbitrary: pick('\n', '\n  ', ' \n\t')},
  {weight: 1, arbitrary: pick(' # note\n', '# , ; : "\n', ' \\\n ')},
)

const list = <T extends string>(item: fc.Arbitrary<T>, max: number) =>
  fc.tuple(fc.array(fc.tuple(item, gap), {minLength: 1, maxLength: max}), fc.nat(29)).map(([items, odd]) => {
    const joined = items.map(([text, space], i) => (i === 0 ? text : `,${space}${text}`)).join('')
    // Now and then: a trailing comma, a missing comma, an empty list.
    if (odd === 0) return `${joined},`
    if (odd === 1) return items.map(([text]) => text).join(' ')
    if (odd === 2) return ''
    return joined
  })

const oddStatement = fc
  .tuple(
    fc.oneof(
      {weight: 10, arbitrary: pick('allow', 'disallow')},
      {weight: 1, arbitrary: pick('ALLOW', 'Disallow', 'permit', '"allow"')},
    ),
    fc.oneof(
      {weight: 8, arbitrary: fc.tuple(pick('', 'host', 'hosts', 'HOSTS'), list(hostName, 3))},
      {weight: 1, arbitrary: fc.tuple(pick('user', 'users', 'USER'), list(userName, 2))},
      {weight: 1, arbitrary: fc.tuple(pick('group', 'groups'), list(groupName, 2))},
    ),
    list(opItem, 3),
    gap,
    gap,
    fc.nat(39),
  )
  .map(([verb, [kind, names], ops, g1, g2, odd]) => {
    const colon = odd === 0 ? '' : ':'
    const end = odd === 1 ? '' : odd === 2 ? ';;' : ';'
    return `${verb}${kind ? ` ${kind}` : ''} ${names}${g1}${colon} ${ops}${g2}${end}`
  })

/** A statement pmcd parses: its names may still be unusable (a clash, an unknown name). */
const goodStatement = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      {
        weight: 10,
        arbitrary: fc.tuple(
          pick('', 'host', 'hosts'),
          list(goodHost, 3).filter(
            (l) => l !== '' && !l.endsWith(',') && l.includes(',') === l.includes(', '),
          ),
        ),
      },
      {weight: 1, arbitrary: fc.tuple(pick('user', 'users'), pick('root', 'daemon', '*', 'root, daemon'))},
      {weight: 1, arbitrary: fc.tuple(pick('group', 'groups'), pick('root', 'adm', '*', 'adm, root'))},
    ),
    gap,
    gap,
  )
  .chain(([allow, [kind, names], g1, g2]) =>
    goodOps(allow).map(
      (ops) => `${allow ? 'allow' : 'disallow'}${kind ? ` ${kind}` : ''} ${names}${g1}: ${ops}${g2};`,
    ),
  )

const statement = fc.oneof({weight: 12, arbitrary: goodStatement}, {weight: 1, arbitrary: oddStatement})

/**
 * Two statements about the same clients at one level, to make pmcd merge them or find them
 * clashing: the same name twice, or two names pmcd takes for the same entry.
 */
const SAME_CLIENTS = pick(
  ['localhost', 'localhost'],
  ['localhost', '127.0.0.1'],
  ['"local:*"', '127.0.0.1'],
  ['"local:*"', '"unix:"'],
  ['*', '"unix:"'],
  ['*', '".*"'],
  ['*', '":*"'],
  ['.*', '".*"'],
  ['10.1.*', '10.1*'],
  ['10.1.*', '10.1.*'],
  ['10.*', '10.*'],
  ['10.0.*', '10..*'],
  ['"fd00:*"', '"fd00:*"'],
  ['"fd00:*"', '"fd00::*"'],
  ['":*"', '"::*"'],
  [MONITOR, MONITOR_ADDRESS],
  [MONITOR_ADDRESS, '10.9.8.7'],
  ['"::1"', '"0:0::1"'],
  ['user root', 'user root'],
  ['user root', 'user "root"'],
  ['users *', 'user *'],
  ['group adm', 'group adm'],
)
const clashPair = fc
  .tuple(SAME_CLIENTS, fc.boolean(), fc.boolean(), fc.boolean())
  .chain(([[a, b], allow1, allow2, swap]) =>
    fc.tuple(goodOps(allow1), goodOps(allow2)).map(([ops1, ops2]) => {
      const [first, second] = swap ? [b, a] : [a, b]
      const verb = (allow: boolean) => (allow ? 'allow' : 'disallow')
      return `${verb(allow1)} ${first} : ${ops1};\n${verb(allow2)} ${second} : ${ops2};`
    }),
  )

const comment = pick('# comment', '#', '', '   ', '# allow * : all;', '\t# indented comment')

const section = fc
  .array(
    fc.oneof(
      {weight: 6, arbitrary: statement},
      {weight: 3, arbitrary: clashPair},
      {weight: 2, arbitrary: comment},
    ),
    {minLength: 1, maxLength: 6},
  )
  .chain((parts) =>
    fc.tuple(
      fc.constant(parts),
      fc.array(pick('\n', ' ', '\n\n'), {minLength: parts.length, maxLength: parts.length}),
    ),
  )
  .map(([parts, seps]) => parts.map((p, i) => `${p}${seps[i]}`).join(''))

/** `count` [access] section bodies, the same ones for the same seed. */
export function accessSections(count: number, seed: number): string[] {
  return fc.sample(section, {numRuns: count, seed})
}
