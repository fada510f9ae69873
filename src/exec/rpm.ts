import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'

/** Where rpm lives on this machine, when it does. */
export const RPM_BINARIES = ['/usr/bin/rpm', '/bin/rpm']

/** The argv of a query of one package's VERSION-RELEASE in the database of the machine under root. */
export function rpmVersionArgv(binary: string, root: string, pkg: string): [string, string[]] {
  return [binary, ['--root', root, '-q', '--qf', '%{VERSION}-%{RELEASE}\\n', pkg]]
}

/** The argv of a query of one package's changelog. */
export function rpmChangelogArgv(binary: string, root: string, pkg: string): [string, string[]] {
  return [binary, ['--root', root, '-q', '--changelog', pkg]]
}

function run(command: string, args: string[]): Promise<{ok: boolean; stdout: string}> {
  return new Promise((resolve) => {
    execFile(command, args, {timeout: 20_000, maxBuffer: 16 * 1024 * 1024}, (error, stdout) =>
      resolve({ok: !error, stdout: String(stdout)}),
    )
  })
}

/**
 * A package's VERSION-RELEASE and changelog from the RPM database under root, asked of this
 * machine's rpm (`rpm --root`); undefined when rpm is not installed here or the package is not.
 */
export async function rpmPackage(
  root: string,
  pkg: string,
): Promise<{version: string; changelog: string} | undefined> {
  const binary = RPM_BINARIES.find((b) => existsSync(b))
  if (!binary) return undefined
  const version = await run(...rpmVersionArgv(binary, root, pkg))
  if (!version.ok) return undefined
  const changelog = await run(...rpmChangelogArgv(binary, root, pkg))
  return {version: version.stdout.trim(), changelog: changelog.ok ? changelog.stdout : ''}
}
