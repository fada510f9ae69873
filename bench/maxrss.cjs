// Loaded with `node --require` by bench/memory.js: prints the process's peak resident set size
// (KiB, getrusage's ru_maxrss) on standard error as it exits.
process.on('exit', () => process.stderr.write(`\nmaxrss ${process.resourceUsage().maxRSS}\n`))
