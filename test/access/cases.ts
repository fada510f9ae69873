/**
 * pmcd.conf [access] sections for the differential test against real `pmcd -v -c FILE`
 * (Debian's pcp 6.0.3). Each body follows a minimal agents table and an `[access]` line,
 * unless `whole` gives the complete file. Names used must resolve the same for pmcd and for us:
 * `localhost` (in /etc/hosts), numeric addresses, and `.invalid` names (never resolve).
 */
export interface AccessCase {
  name: string
  body?: string
  whole?: string
}

export const AGENTS =
  '# Name\tId\tIPC\tIPC Params\tFile/Cmd\npmcd\t2\tdso\tpmcd_init\t/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so\n\n'

export const CASES: AccessCase[] = [
  {name: 'shipped default', body: 'disallow ".*" : store;\ndisallow ":*" : store;\nallow "local:*" : all;'},
  {name: 'unquoted IPv6', body: 'allow ::1 : all;'},
  {name: 'unquoted local:*', body: 'allow local:* : all;'},
  {name: 'wildcard not last', body: 'allow 192.*.1.2 : fetch;'},
  {name: 'empty access section', body: ''},
  {name: 'comments only', body: '# nothing here\n'},
  {name: 'maximum in disallow', body: 'disallow localhost : maximum 5 connections;'},
  {name: 'trailing comma in names', body: 'allow localhost, : fetch;'},
  {name: 'trailing comma in ops', body: 'allow localhost : fetch, ;'},
  {name: 'missing semicolon', body: 'allow localhost : fetch'},
  {name: 'missing semicolon before next', body: 'allow localhost : fetch\nallow 127.0.0.1 : store;'},
  {name: 'read is not an operation', body: 'allow * : read;'},
  {name: 'metrics= clause', body: 'allow * : fetch metrics=kernel.*;'},
  {name: 'same-level clash', body: 'allow localhost : fetch;\ndisallow localhost : fetch;'},
  {name: 'unknown user', body: 'allow user nosuchuser.pcph : fetch;'},
  {name: 'unknown group', body: 'allow group nosuchgroup.pcph : fetch;'},
  {name: 'CIDR beside a valid rule', body: 'allow 10.0.0.0/8 : fetch;\nallow "local:*" : all;'},
  {name: 'CIDR alone', body: 'allow 10.0.0.0/8 : fetch;'},
  {name: 'unlimited connections', body: 'allow localhost : fetch, unlimited connections;'},
  {name: 'uppercase keywords', body: 'ALLOW HOSTS localhost : FETCH, STORE;'},
  {name: 'mixed case operations', body: 'allow localhost : Fetch, sToRe;'},
  {name: 'statement across lines', body: 'allow\n  localhost,\n  127.0.0.1\n  :\n  fetch\n  ;'},
  {name: 'comment inside a statement', body: 'allow localhost, # the box itself\n  127.0.0.1 : fetch;'},
  {name: 'trailing comment', body: 'allow localhost : fetch; # fine'},
  {name: 'two names two ops', body: 'allow hosts localhost, 127.0.0.1 : fetch, store;'},
  {name: 'all except fetch', body: 'allow localhost : all except fetch;'},
  {name: 'all except store', body: 'allow localhost : all except store;'},
  {name: 'disallow all except fetch', body: 'disallow * : all except fetch;'},
  {name: 'all except two ops', body: 'allow localhost : all except fetch, store;'},
  {name: 'all IPv6 quoted', body: 'allow ":*" : fetch;'},
  {name: 'unix socket', body: 'allow "unix:" : all;'},
  {name: 'local without star', body: 'allow "local:" : all;'},
  {name: 'IPv6 loopback quoted', body: 'allow "::1" : all;'},
  {name: 'IPv6 wildcard', body: 'allow "fe80:*" : fetch;'},
  {name: 'class A wildcard', body: 'allow 10.* : fetch;'},
  {name: 'all IPv4', body: 'allow .* : fetch;'},
  {name: 'star', body: 'allow * : all;'},
  {name: 'disallow star all', body: 'disallow * : all;'},
  {name: 'wildcard with maximum', body: 'allow 10.1.2.* : fetch, maximum 10 connections;'},
  {name: 'only maximum', body: 'allow localhost : maximum 5 connections;'},
  {name: 'maximum zero', body: 'allow localhost : fetch, maximum 0 connections;'},
  {name: 'maximum negative', body: 'allow localhost : fetch, maximum -1 connections;'},
  {name: 'maximum huge', body: 'allow localhost : fetch, maximum 99999999999 connections;'},
  {name: 'maximum without connections', body: 'allow localhost : fetch, maximum 5;'},
  {name: 'missing comma before maximum', body: 'allow localhost : fetch maximum 5 connections;'},
  {name: 'missing colon', body: 'allow localhost fetch;'},
  {name: 'no names', body: 'allow : fetch;'},
  {name: 'no operations', body: 'allow localhost : ;'},
  {name: 'user root', body: 'allow user root : all;'},
  {name: 'users list', body: 'allow users root, daemon : fetch;'},
  {name: 'group root', body: 'allow group root : fetch;'},
  {name: 'groups list', body: 'allow groups root, adm : fetch;'},
  {name: 'disallow user', body: 'disallow user root : store;\nallow user root : fetch;'},
  {name: 'quoted user', body: 'allow user "root" : fetch;'},
  {name: 'unresolvable host alone', body: 'allow no-such-host.invalid : fetch;'},
  {
    name: 'unresolvable host beside valid',
    body: 'allow no-such-host.invalid : fetch;\nallow localhost : all;',
  },
  {name: 'different levels', body: 'allow 10.* : fetch;\ndisallow 10.1.* : fetch;'},
  {name: 'clash of wildcards', body: 'allow 10.1.* : fetch;\ndisallow 10.1.* : fetch;'},
  {name: 'same rule twice', body: 'allow localhost : fetch;\nallow localhost : fetch;'},
  {name: 'localhost and its address', body: 'allow localhost : all;\ndisallow 127.0.0.1 : store;'},
  {name: 'quoted hostname', body: 'allow "localhost" : fetch;'},
  {name: 'double semicolon', body: 'allow localhost : fetch;;'},
  {name: 'two wildcards', body: 'allow 10.1.*.* : fetch;'},
  {name: 'five octets', body: 'allow 10.1.2.3.4 : fetch;'},
  {name: 'octet out of range', body: 'allow 256.1.1.1 : fetch;'},
  {name: 'host keyword singular', body: 'allow host localhost : fetch;'},
  {name: 'hosts keyword without names', body: 'allow hosts : fetch;'},
  {name: 'tabs between tokens', body: 'allow\tlocalhost\t:\tfetch\t;'},
  {name: 'unknown statement keyword', body: 'permit localhost : fetch;'},
  {name: 'seed-style pmcd.access line', body: '10.0.0.0/8 sasl'},
  {name: 'statement after garbage', body: 'allow localhost : fetch;\ngarbage here\n'},
  {name: 'no access section', whole: AGENTS},
  {name: 'uppercase section header', whole: `${AGENTS}[ACCESS]\nallow localhost : fetch;\n`},
  {
    name: 'two access sections',
    whole: `${AGENTS}[access]\nallow localhost : fetch;\n[access]\nallow 127.0.0.1 : store;\n`,
  },
  {name: 'unknown section', whole: `${AGENTS}[hosts]\nallow localhost : fetch;\n`},
  {name: 'bad agents line', whole: 'pmcd 2 dso\n[access]\nallow localhost : fetch;\n'},
  {name: 'empty agents table', whole: '[access]\nallow localhost : fetch;\n'},
]

export function caseText(c: AccessCase): string {
  return c.whole ?? `${AGENTS}[access]\n${c.body ?? ''}\n`
}

/** More cases from pmcd's sources (access.c clash rule, scanner details), checked against pmcd -v. */
CASES.push(
  {
    name: 'deny masks differ on shared op',
    body: 'disallow localhost : store;\ndisallow localhost : fetch, store;',
  },
  {
    name: 'limits differ',
    body: 'allow localhost : fetch, maximum 2 connections;\nallow localhost : fetch, maximum 3 connections;',
  },
  {
    name: 'limit beside no limit',
    body: 'allow localhost : fetch, maximum 2 connections;\nallow localhost : fetch;',
  },
  {name: 'all mixed with fetch', body: 'allow localhost : fetch, all;'},
  {name: 'maximum before all', body: 'allow localhost : maximum 2 connections, all;'},
  {name: 'all except nothing', body: 'allow localhost : all except ;'},
  {name: 'header with text after', whole: `${AGENTS}[access] allow localhost : all;\n`},
  {name: 'header split over lines', whole: `${AGENTS}[\naccess\n]\nallow localhost : all;\n`},
  {name: 'quoted keywords', body: '"allow" "hosts" "localhost" : "fetch" ;'},
  {name: 'braces are not separators', body: 'allow localhost : {fetch};'},
  {name: 'wildcard without dot', body: 'allow 192.168* : fetch;'},
  {name: 'wildcard on a name', body: 'allow host* : fetch;'},
  {name: 'unterminated quote', body: 'allow "localhost : fetch;'},
  {name: 'user star twice', body: 'allow users * : all;\ndisallow users * : all;'},
  {name: 'numeric user', body: 'allow users 0 : fetch;'},
)

/** The agents table, as pmcd -v judges it (only the last agent line decides). */
const agentsThen = (agents: string) => `${agents}\n[access]\nallow localhost : fetch;\n`
CASES.push(
  {
    name: 'agent: bad type then good line',
    whole: agentsThen('a 3 carrier x\npmcd 2 dso pmcd_init /x/pmda_pmcd.so'),
  },
  {
    name: 'agent: good line then bad type',
    whole: agentsThen('pmcd 2 dso pmcd_init /x/pmda_pmcd.so\na 3 carrier x'),
  },
  {name: 'agent: domain too large', whole: agentsThen('a 511 dso init /x/a.so')},
  {name: 'agent: domain zero', whole: agentsThen('a 0 dso init /x/a.so')},
  {name: 'agent: negative domain', whole: agentsThen('a -1 dso init /x/a.so')},
  {name: 'agent: duplicate domain last', whole: agentsThen('a 3 dso init /x/a.so\nb 3 dso init /x/b.so')},
  {name: 'agent: duplicate names', whole: agentsThen('a 3 dso init /x/a.so\na 4 dso init /x/b.so')},
  {name: 'agent: relative DSO path', whole: agentsThen('a 3 dso init x/a.so')},
  {name: 'agent: DSO extra parameter', whole: agentsThen('a 3 dso init /x/a.so extra')},
  {name: 'agent: pipe text', whole: agentsThen('a 3 pipe text /bin/a')},
  {name: 'agent: pipe without command', whole: agentsThen('a 3 pipe binary')},
  {name: 'agent: pipe notready', whole: agentsThen('a 3 pipe binary notready /bin/a -d 3')},
  {name: 'agent: socket unix', whole: agentsThen('a 3 socket unix /run/a.sock')},
  {name: 'agent: socket bad family', whole: agentsThen('a 3 socket tcp 4000')},
  {name: 'agent: continued line', whole: agentsThen('a 3 pipe binary \\\n  /bin/a -d 3')},
  {
    name: 'access: continued line',
    whole: `${AGENTS}[access]\nallow localhost \\\n : fetch;\nallow 10.1.2.3.4 : fetch;\n`,
  },
  {name: 'agent: punctuation is ordinary', whole: agentsThen('x[1] 2 pipe binary /bin/cmd [a] b,c;d:e')},
)

/**
 * Characters outside C's isspace(): pmcd's scanner keeps them inside a word (a no-break space after
 * a name makes it another, unknown name) and never stalls on them.
 */
CASES.push(
  {name: 'unicode: no-break space after a name', body: 'allow localhost\u00a0: all;'},
  {
    name: 'unicode: no-break space beside a valid rule',
    body: 'allow localhost\u00a0: all;\nallow 127.0.0.1 : fetch;',
  },
  {name: 'unicode: BOM before a name', body: 'allow \ufefflocalhost : all;'},
  {
    name: 'unicode: BOM at the start of the file',
    whole: `\ufeff${AGENTS}[access]\nallow localhost : fetch;\n`,
  },
  {name: 'unicode: line separator inside a statement', body: 'allow localhost\u2028: all;'},
  {name: 'unicode: ideographic space as a separator', body: 'allow\u3000localhost : all;'},
  {name: 'control: escape sequence in a name', body: 'allow loc\u001b[2Jalhost : all;'},
  {name: 'control: C1 in a name', body: 'allow localhost\u009b : fetch;\nallow 127.0.0.1 : fetch;'},
  {name: 'agent: no-break space inside a line', whole: agentsThen('a 3\u00a0dso init /x/a.so')},
)
