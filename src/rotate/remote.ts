import {createHash} from 'node:crypto'

import {adminSshArgv, type Node, remoteScript, type SshSettings} from './exec.js'
import {editAuthorizedKeys, type KeysEdit} from './lines.js'
import {LineSession, SESSION_READY, SessionError} from './session.js'

/** Exit status of the write script when the file changed since it was read. */
const CHANGED = 92

/**
 * Replace the file with the content given in base64 on standard input, atomically, if it is still
 * what was read (its SHA-256, or "absent") and the content arrived whole (its SHA-256, $3): a
 * temporary file in the target's own directory (a symlink is followed, as on Proxmox where
 * /root/.ssh/authorized_keys points into /etc/pve/priv), mode 0600 (mktemp's, under umask 077;
 * missing directories 0700) and the old owner and group, the old content kept as
 * FILE.pcp-harden.bak (copied to a temporary file of its own, then renamed over whatever that name
 * was, so a planted symlink there is replaced, never written through), the hash checked again
 * just before the rename. Each program it starts is a fork and an exec on the node: readlink runs
 * only for a symlink, and the hash of the file is read without a subshell.
 */
export const WRITE_SCRIPT = `set -eu
f=$1 want=$2 new=$3
if [ -L "$f" ]; then r=$(readlink -f -- "$f") || r=$f; else r=$f; fi
d=\${r%/*}
sum() { h=$(sha256sum < "$1"); h=\${h%% *}; }
state() { if [ -e "$r" ]; then sum "$r"; else h=absent; fi; }
changed() { echo "$f changed since it was read; nothing written" >&2; exit ${CHANGED}; }
state; [ "$h" = "$want" ] || changed
umask 077
[ -d "$d/" ] || mkdir -p -m 700 -- "$d/"
t=$(mktemp -- "$d/.authorized_keys.pcp-harden.XXXXXX") b=
trap 'rm -f -- "$t" \${b:+"$b"}' EXIT
base64 -d > "$t"
sum "$t"
[ "$h" = "$new" ] || { echo "the new content arrived incomplete or altered; nothing written" >&2; exit 1; }
if [ -e "$r" ]; then
  chown --reference="$r" -- "$t"
  b=$(mktemp -- "$d/.authorized_keys.pcp-harden.XXXXXX")
  cp -p -- "$r" "$b"
  mv -f -T -- "$b" "$r.pcp-harden.bak"
  b=
fi
state; [ "$h" = "$want" ] || changed
mv -f -- "$t" "$r"
trap - EXIT`

/**
 * The admin's shell on a node for the whole run: one connection and one shell serve every read and
 * write of the node's authorized_keys ($1), the write done by the write script ($2). It prints
 * SESSION_READY on a line of its own (after a newline that ends whatever a login script left
 * unfinished, such as a banner printed without one), then answers each request line with one
 * reply line:
 * - `read`: `ok BASE64` (the file, following a symlink as sshd does), `absent`, or `fail STATUS MESSAGE`;
 * - `write WANT NEW BASE64`: the write script run on the decoded content, `ok` or `fail STATUS
 *   MESSAGE` (status 92: the file is no longer WANT, its SHA-256 or "absent"); NEW is the SHA-256
 *   of the new content, so a request cut short (a connection lost mid-line) writes nothing.
 * A line without its newline (the input ended mid-request) is not a request: `read` drops it.
 * The write script runs in the subshell of a command substitution (its `set -e` and trap end
 * there), not in an sh of its own: one fork and no exec. Its status comes from a plain assignment,
 * never from an `if` (where bash would ignore the script's `set -e`), and it is not run from a
 * function (bash's `set -e` exit from an eval in a function is a complaint of its own). Nothing but `read` reads the
 * session's standard input (the content reaches the write script as a here-document), so a request
 * never swallows the next one.
 */
export const SESSION_SCRIPT = `f=$1 write=$2
nl='
'
fail() { printf 'fail %s %s\\n' "$1" "\${2##*"$nl"}"; }
printf '\\n%s\\n' '${SESSION_READY}'
while IFS=' ' read -r op want new data; do
  case $op in
  read)
    if [ -e "$f" ]; then
      if out=$(base64 -w0 -- "$f" 2>&1 </dev/null); then printf 'ok %s\\n' "$out"; else fail 1 "$out"; fi
    elif [ -L "$f" ]; then fail 1 "$f: a dangling symlink"
    else echo absent; fi ;;
  write)
    out=$(set -- "$f" "$want" "$new"; eval "$write" 2>&1 <<EOF
$data
EOF
)
    status=$?
    if [ "$status" = 0 ]; then echo ok; else fail "$status" "$out"; fi ;;
  *) fail 2 "not a request: $op"; exit 2 ;;
  esac
done`

/**
 * The session of SESSION_SCRIPT as one Perl program ($1 the file, $2 SESSION_SCRIPT, $3
 * WRITE_SCRIPT), for nodes with a full perl (every Proxmox VE node: its tools are Perl): the same
 * requests, replies and guarantees, but a write is a few system calls in the one process instead
 * of half a dozen programs. Without Digest::SHA and MIME::Base64 (a minimal Debian has only
 * perl-base) it runs the shell session instead. The write: the file a symlink points to (through
 * every link), its SHA-256 checked, the new content's checked against NEW, a new file made
 * O_EXCL|O_NOFOLLOW mode 0600 in that file's directory (made 0700 when missing), given the old
 * file's owner and group, the old content kept as FILE.pcp-harden.bak with its mode, owner and
 * times (as `cp -p`, in a new file renamed over that name), the hash checked again, and the new
 * file renamed into place; a failure removes the new files and names the step.
 */
export const PERL_SESSION = `use strict;
use warnings;
BEGIN {
  unless (eval { require Digest::SHA; require MIME::Base64; 1 }) {
    exec 'sh', '-c', $ARGV[1], 'pcp-harden-rotate', $ARGV[0], $ARGV[2];
    die "sh: $!\\n";
  }
}
use Fcntl qw(O_WRONLY O_CREAT O_EXCL O_NOFOLLOW);
my $f = $ARGV[0];
$| = 1;
umask 077;

sub fail {
  my ($status, $message) = @_;
  $message =~ s/\\n+\\z//;
  $message =~ s/.*\\n//s;
  print "fail $status $message\\n";
}

sub hash {
  my ($r) = @_;
  return 'absent' unless -e $r;
  my $sha = Digest::SHA->new(256);
  open my $in, '<:raw', $r or die "sha256sum: $r: $!\\n";
  $sha->addfile($in);
  return $sha->hexdigest;
}

sub slurp {
  my ($file, $what) = @_;
  die "$what: $file: Is a directory\\n" if -d $file;
  open my $in, '<:raw', $file or die "$what: $file: $!\\n";
  local $/;
  my $content = <$in>;
  die "$what: $file: $!\\n" unless defined $content || eof $in;
  return $content // '';
}

sub resolve {
  my ($r) = @_;
  for (my $n = 0; -l $r; $n++) {
    die "readlink: $f: Too many levels of symbolic links\\n" if $n == 40;
    my $to = readlink $r;
    die "readlink: $r: $!\\n" unless defined $to;
    $r = $to =~ m{^/} ? $to : ($r =~ m{^(.*/)}s ? $1 : '') . $to;
  }
  return $r;
}

sub mkdirs {
  my ($d) = @_;
  return if $d eq '' || -d "$d/";
  mkdirs($1) if $d =~ m{^(.*)/[^/]+/*\\z}s;
  mkdir $d, 0700 or -d "$d/" or die "mkdir: $d: $!\\n";
}

sub changed { die [${CHANGED}, "$f changed since it was read; nothing written"] }

# A new file of ours in directory $d: created here (O_EXCL), never through a symlink, mode 0600.
sub temp {
  my ($d) = @_;
  for (my $try = 0; ; $try++) {
    my $t = sprintf '%s/.authorized_keys.pcp-harden.%06x%06x', $d, int rand 0x1000000, int rand 0x1000000;
    my $fh;
    return ($t, $fh) if sysopen $fh, $t, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600;
    die "mktemp: $t: $!\\n" unless $!{EEXIST} && $try < 100;
  }
}

sub put {
  my ($want, $new, $data) = @_;
  my $r = resolve($f);
  my $d = $r =~ m{^(.*)/}s ? $1 : '.';
  changed() if hash($r) ne $want;
  my $content = MIME::Base64::decode_base64($data);
  die "the new content arrived incomplete or altered; nothing written\\n"
    if Digest::SHA::sha256_hex($content) ne $new;
  mkdirs($d);
  my ($t, $out) = temp($d);
  my $b;
  eval {
    binmode $out;
    print {$out} $content or die "write: $t: $!\\n";
    close $out or die "write: $t: $!\\n";
    if (-e $r) {
      my @old = stat $r or die "stat: $r: $!\\n";
      my @made = stat $t or die "stat: $t: $!\\n";
      if ($old[4] != $made[4] || $old[5] != $made[5]) {
        chown $old[4], $old[5], $t or die "chown: $t: $!\\n";
      }
      # The old content as FILE.pcp-harden.bak, as cp -p keeps it: copied to a new file of ours,
      # then renamed over that name, so a symlink planted there is replaced, never written through.
      my $bak = "$r.pcp-harden.bak";
      my $kept = slurp($r, 'cp');
      ($b, my $copy) = temp($d);
      binmode $copy;
      print {$copy} $kept or die "cp: $bak: $!\\n";
      close $copy or die "cp: $bak: $!\\n";
      chown $old[4], $old[5], $b or die "cp: $bak: $!\\n";
      chmod $old[2] & 07777, $b or die "cp: $bak: $!\\n";
      utime $old[8], $old[9], $b or die "cp: $bak: $!\\n";
      rename $b, $bak or die "mv: $bak: $!\\n";
      undef $b;
    }
    changed() if hash($r) ne $want;
    rename $t, $r or die "mv: $r: $!\\n";
    1;
  } or do {
    my $error = $@;
    unlink $t;
    unlink $b if defined $b;
    die $error;
  };
}

print "\\n${SESSION_READY}\\n";
while (defined(my $line = <STDIN>)) {
  # A line without its newline is a request cut short (the input ended): not a request, as for read.
  last unless $line =~ s/\\n\\z//;
  my ($op, $want, $new, $data) = split / /, $line, 4;
  $op //= '';
  if ($op eq 'read') {
    if (-e $f) {
      my $content = eval { slurp($f, 'base64') };
      if (defined $content) { print 'ok ', MIME::Base64::encode_base64($content, ''), "\\n" }
      else { fail(1, $@) }
    } elsif (-l $f) { fail(1, "$f: a dangling symlink") }
    else { print "absent\\n" }
  } elsif ($op eq 'write') {
    if (eval { put($want // '', $new // '', $data // ''); 1 }) { print "ok\\n" }
    else { ref $@ eq 'ARRAY' ? fail(@{$@}) : fail(1, $@) }
  } else {
    fail(2, "not a request: $op");
    exit 2;
  }
}`

/**
 * The command ssh hands to the node's shell for a session on `file`: the Perl session when the
 * node has perl, else the shell session (the same protocol; see SESSION_SCRIPT and PERL_SESSION).
 */
export function sessionCommand(file: string): string {
  return remoteScript(SESSION_DISPATCH, [file, PERL_SESSION, SESSION_SCRIPT, WRITE_SCRIPT])
}

const SESSION_DISPATCH = `command -v perl >/dev/null 2>&1 && exec perl -e "$2" -- "$1" "$3" "$4"
exec sh -c "$3" pcp-harden-rotate "$1" "$4"`

export class NodeError extends Error {
  override name = 'NodeError'
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}

export interface RemoteFile {
  content: Buffer
  exists: boolean
}

/**
 * The admin's sessions of one run, one per node and file, each opened on first use: every read and
 * write on a node shares one SSH connection (one handshake, one ssh process) instead of one per step.
 */
export class AdminSessions {
  readonly #sessions = new Map<string, LineSession>()
  /** Sessions released before the end of the run, still ending. */
  readonly #ending: Promise<void>[] = []

  constructor(private readonly ssh: SshSettings) {}

  #session(node: Node, file: string): LineSession {
    const key = `${node.label}\0${file}`
    let session = this.#sessions.get(key)
    if (!session) {
      session = new LineSession(adminSshArgv(node, this.ssh, sessionCommand(file)))
      this.#sessions.set(key, session)
    }
    return session
  }

  /**
   * Start connecting to the node now (reading nothing yet), so that the handshake overlaps the
   * caller's local work; a connection that fails is the first request's error.
   */
  connect(node: Node, file: string): void {
    this.#session(node, file).connect()
  }

  /** Send one request to the node's session; a session that ended becomes a NodeError saying why. */
  async request(node: Node, file: string, what: string, line: string, timeoutMs: number): Promise<string> {
    try {
      return await this.#session(node, file).request(line, timeoutMs)
    } catch (error) {
      if (error instanceof SessionError) throw new NodeError(`${what}: ${error.message}`)
      throw error
    }
  }

  /**
   * Done with the node: its session starts ending now, without waiting for it here (close() does),
   * so a node finished early does not keep its connection until the slowest one is done.
   */
  release(node: Node, file: string): void {
    const key = `${node.label}\0${file}`
    const session = this.#sessions.get(key)
    if (!session) return
    this.#sessions.delete(key)
    this.#ending.push(session.close())
  }

  /** End every session (each remote shell exits at the end of its input). */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()]
    this.#sessions.clear()
    await Promise.all([...sessions.map((session) => session.close()), ...this.#ending.splice(0)])
  }
}

/** The session's write request: the file's SHA-256 as read (or "absent"), the new content's, the content. */
export function writeRequest(expected: string, content: Buffer): string {
  return `write ${expected} ${sha256(content)} ${content.toString('base64')}`
}

/** A `fail STATUS MESSAGE` reply as its status and message; undefined for any other reply. */
function failure(reply: string): {status: number; message: string} | undefined {
  const match = /^fail (\d+) ?(.*)$/s.exec(reply)
  if (!match) return undefined
  return {status: Number(match[1]), message: match[2] || `exit ${match[1]}`}
}

function unexpected(what: string, reply: string): NodeError {
  const shown = reply.length > 80 ? `${reply.slice(0, 80)}...` : reply
  return new NodeError(`${what}: unexpected reply from the node's shell: ${JSON.stringify(shown)}`)
}

/** Read the node's authorized_keys with the admin identity. */
export async function readRemote(
  admin: AdminSessions,
  node: Node,
  file: string,
  timeoutMs: number,
): Promise<RemoteFile> {
  const what = `reading ${file}`
  const reply = await admin.request(node, file, what, 'read', timeoutMs)
  if (reply === 'absent') return {content: Buffer.alloc(0), exists: false}
  if (reply === 'ok' || reply.startsWith('ok '))
    return {content: Buffer.from(reply.slice(3), 'base64'), exists: true}
  const failed = failure(reply)
  if (failed) throw new NodeError(`${what}: ${failed.message}`)
  throw unexpected(what, reply)
}

/**
 * Rewrite the node's authorized_keys with `edit`, starting from `known` (what an earlier read or
 * write of this run left there) or a fresh read. A concurrent change between read and write
 * (another admin, or another node writing the same file shared by the cluster) is never lost:
 * the edit starts again from a fresh read, up to three times. Nothing is written when nothing
 * changes. Returns the edit and the file as it now is.
 */
export async function rewriteRemote<E extends {content: Buffer; added?: boolean; removed: number[]}>(
  admin: AdminSessions,
  node: Node,
  file: string,
  edit: (before: Buffer) => E,
  timeoutMs: number,
  known?: RemoteFile,
): Promise<E & {now: RemoteFile}> {
  const what = `writing ${file}`
  let before = known
  for (let attempt = 1; ; attempt++) {
    before ??= await readRemote(admin, node, file, timeoutMs)
    const edited = edit(before.content)
    if (!edited.added && edited.removed.length === 0) return {...edited, now: before}
    const expected = before.exists ? sha256(before.content) : 'absent'
    const request = writeRequest(expected, edited.content)
    const reply = await admin.request(node, file, what, request, timeoutMs)
    if (reply === 'ok') return {...edited, now: {content: edited.content, exists: true}}
    const failed = failure(reply)
    if (!failed) throw unexpected(what, reply)
    if (failed.status !== CHANGED || attempt === 3) throw new NodeError(`${what}: ${failed.message}`)
    before = undefined
  }
}

/** Add and remove the proxy's lines in the node's authorized_keys (rewriteRemote with editAuthorizedKeys). */
export function editRemote(
  admin: AdminSessions,
  node: Node,
  file: string,
  change: {add?: string; removeKeyIds: readonly string[]},
  timeoutMs: number,
  known?: RemoteFile,
): Promise<KeysEdit & {now: RemoteFile}> {
  return rewriteRemote(admin, node, file, (before) => editAuthorizedKeys(before, change), timeoutMs, known)
}
