import {Args, Command, loadHelpClass} from '@oclif/core'

/** `pcp-harden help [COMMAND]`: the same help as `COMMAND --help`, as in other oclif CLIs. */
export default class HelpCommand extends Command {
  static override summary = 'Show help for pcp-harden or one of its commands'
  static override examples = [
    '<%= config.bin %> help',
    '<%= config.bin %> help verify',
    '<%= config.bin %> help cert init',
  ]
  static override strict = false
  static override args = {command: Args.string({description: 'The command (with its topic) to explain'})}

  async run(): Promise<void> {
    const {argv} = await this.parse(HelpCommand)
    const Help = await loadHelpClass(this.config)
    await new Help(this.config).showHelp(argv as string[])
  }
}
