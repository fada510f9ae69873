import {Command} from '@oclif/core'

/** `pcp-harden version`: what `--version` prints (name/version platform node-version). */
export default class VersionCommand extends Command {
  static override summary = 'Show the version of pcp-harden, the platform and Node.js'
  static override examples = ['<%= config.bin %> version']

  async run(): Promise<void> {
    this.log(this.config.userAgent)
  }
}
