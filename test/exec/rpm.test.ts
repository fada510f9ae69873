import {describe, expect, it} from 'vitest'

import {rpmChangelogArgv, rpmVersionArgv} from '../../src/exec/rpm.js'

describe('rpm queries', () => {
  it('ask the database under --root for one package, never the running machine', () => {
    expect(rpmVersionArgv('/usr/bin/rpm', '/mnt/image', 'pcp')).toEqual([
      '/usr/bin/rpm',
      ['--root', '/mnt/image', '-q', '--qf', '%{VERSION}-%{RELEASE}\\n', 'pcp'],
    ])
    expect(rpmChangelogArgv('/usr/bin/rpm', '/mnt/image', 'pcp')).toEqual([
      '/usr/bin/rpm',
      ['--root', '/mnt/image', '-q', '--changelog', 'pcp'],
    ])
  })
})
