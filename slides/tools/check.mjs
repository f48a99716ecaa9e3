// check.mjs — keeps the decks honest. Run from anywhere; paths are repo-relative.
//
//   node slides/tools/check.mjs code DECK.md...   no slide code has drifted
//   node slides/tools/check.mjs try-it DECK.md    "try it" blocks still print what they say
//   node slides/tools/check.mjs png FILE.png      a rendered slide is not blank
//
// A deck marks its fenced blocks in the info string (after the language, so
// GitHub and Marp still highlight them and the Markdown reads normally):
//
//   ```c lessons/01-echo/server.c      must appear verbatim in that file
//   ```diff make diff L=02             must appear verbatim in `make diff L=02`
//   ```console try-it [SERVER ARGS]    run: each "$ " line against a fresh server
//   ```text server-log                 what that server logged (right after try-it)
//   ```c sketch                        code that is not in the repository on purpose
//
// A lesson README (lessons/NN-name/README.md) may use the same blocks; it is
// checked the same way, except that its unnamed C blocks are left alone.
//
// In a deck, a C block must say where it comes from (or that it is a sketch), so code
// cannot be retyped onto a slide without a test noticing. try-it runs the
// deck's own lesson unless its first argument names another (try-it 01-echo).
//
// In code and diff blocks a line holding only "..." skips part of the source:
// each piece between them must appear, in order. A block may be indented less
// than its source (the same amount on every line), to fit a slide.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateSync } from 'node:zlib'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

// ---- Reading a deck -------------------------------------------------------

// Every fenced block: { line, lang, source (rest of the info string), body }.
function blocks(deckPath) {
  const lines = readFileSync(deckPath, 'utf8').split('\n')
  const found = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(```+)(\S*)\s*(.*)$/.exec(lines[i])
    if (!open) continue
    const start = i
    const body = []
    for (i++; i < lines.length && !lines[i].startsWith(open[1]); i++) body.push(lines[i])
    found.push({ line: start + 1, lang: open[2], source: open[3].trim(), body })
  }
  return found
}

// The lesson a deck belongs to: slides/02-line-framing.md -> lessons/02-line-framing.
// A lesson's README may use the same blocks: lessons/02-line-framing/README.md.
const readme = (path) => /(^|\/)lessons\/([^/]+)\/README\.md$/.exec(path)
const lessonOf = (path) => `lessons/${readme(path)?.[2] ?? basename(path, '.md')}`

// ---- code: no slide code has drifted --------------------------------------

function splitPieces(body) {
  const pieces = [[]]
  for (const l of body) {
    if (l.trim() === '...') pieces.push([])
    else pieces.at(-1).push(l)
  }
  return pieces.filter((p) => p.length > 0)
}

// Where does `piece` (lines) start in `text` at or after `from`, on a line
// boundary, allowing the whole piece to be indented by the same amount there?
function findPiece(text, piece, from) {
  for (const indent of ['', '    ', '        ', '            ']) {
    const want = piece.map((l) => (l === '' ? '' : indent + l)).join('\n') + '\n'
    let at = from
    while ((at = text.indexOf(want, at)) >= 0) {
      if (at === 0 || text[at - 1] === '\n') return at + want.length
      at++
    }
  }
  return -1
}

// Explain a miss: the first line of the piece that is not in the source.
function firstMissingLine(text, piece) {
  const have = new Set(text.split('\n').map((l) => l.trim()))
  return piece.find((l) => !have.has(l.trim())) ?? '(every line exists, but not together in this order)'
}

const diffCache = new Map()
function sourceText(source) {
  const diff = /^make diff L=(\d+)$/.exec(source)
  if (diff) {
    if (!diffCache.has(diff[1])) {
      const r = spawnSync(`${repo}/slides/tools/lesson-diff.sh`, [diff[1]], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`make diff L=${diff[1]} failed: ${r.stderr}`)
      diffCache.set(diff[1], r.stdout)
    }
    return diffCache.get(diff[1])
  }
  return readFileSync(resolve(repo, source), 'utf8')
}

function checkCode(decks) {
  let failures = 0, checked = 0
  for (const deck of decks) {
    for (const b of blocks(deck)) {
      if (!b.source && b.lang === 'c' && !readme(deck)) {
        console.log(`${deck}:${b.line}: a C block must name its file (or say "sketch")`)
        failures++
        continue
      }
      if (!b.source || /^(try-it|server-log|sketch|illustration)\b/.test(b.source)) continue
      let text
      try {
        text = sourceText(b.source)
      } catch (e) {
        console.log(`${deck}:${b.line}: cannot read the source "${b.source}": ${e.message}`)
        failures++
        continue
      }
      checked++
      let from = 0
      for (const piece of splitPieces(b.body)) {
        const end = findPiece(text, piece, from)
        if (end < 0) {
          console.log(`${deck}:${b.line}: this block no longer appears in ${b.source}`)
          console.log(`    first line not found: ${firstMissingLine(text, piece)}`)
          failures++
          break
        }
        from = end
      }
    }
  }
  console.log(`slides: ${checked} code blocks checked, ${failures} drifted`)
  return failures === 0
}

// ---- try-it: the commands still print what the deck says ------------------

// "127.0.0.1:53422" and "[::1]:40123" differ from run to run, and so does
// the time at the start of each log line ("[  1.234] ").
const normalize = (l) => l.replace(/^\[ *\d+\.\d{3}\] /, '').replace(/(127\.0\.0\.1|\[::1\]):\d+/g, '$1:PORT').trimEnd()

async function startServer(lesson, args) {
  const server = spawn(`${repo}/${lesson}/server`, ['--port', '0', ...args], { cwd: repo })
  let out = '', log = '', exited = false
  server.stdout.on('data', (d) => (out += d))
  server.stderr.on('data', (d) => (log += d))
  server.on('exit', () => (exited = true))
  for (let i = 0; i < 500 && !/listening on .*:\d+\n/.test(out) && !exited; i++) await sleep(20)
  const port = /listening on .*:(\d+)\n/.exec(out)?.[1]
  if (!port) throw new Error(`${lesson}/server did not start: ${log}`)
  return {
    port,
    log: () => log,
    alive: () => !exited,
    // The log is written as the server goes: wait until it is quiet.
    async settle() {
      for (let last = -1, i = 0; i < 50 && log.length !== last; i++) {
        last = log.length
        await sleep(60)
      }
    },
    stop: () => server.kill('SIGTERM'),
  }
}

// Run "$ " lines; the rest of the block is the expected output. The lesson's
// default port (as in its server.c) is replaced by the real one.
function runCommands(b, deck, port, defaultPort) {
  let ok = true
  const steps = []
  for (const l of b.body) {
    if (l.startsWith('$ ')) steps.push({ cmd: l.slice(2), want: [] })
    else if (steps.length) steps.at(-1).want.push(l)
  }
  for (const s of steps) {
    const cmd = s.cmd.replace(new RegExp(`\\b${defaultPort}\\b`, 'g'), port)
    const r = spawnSync('bash', ['-c', `${cmd} 2>&1`], { cwd: repo, encoding: 'utf8', timeout: 15000 })
    const got = r.stdout.replace(/\n$/, '').split('\n').map((l) => l.trimEnd())
    const want = s.want.map((l) => l.trimEnd())
    while (want.length && want.at(-1) === '') want.pop()
    if (got.join('\n') !== want.join('\n')) {
      console.log(`${deck}:${b.line}: "$ ${s.cmd}" printed something else`)
      console.log(`    want: ${JSON.stringify(want.join('\n'))}`)
      console.log(`    got:  ${JSON.stringify(got.join('\n'))}`)
      ok = false
    }
  }
  return ok
}

// Each expected log line must appear, in order (other lines may come between).
function checkLog(b, deck, log) {
  const have = log.split('\n').map(normalize)
  let at = 0
  for (const l of b.body.map(normalize).filter((l) => l !== '')) {
    while (at < have.length && have[at] !== l) at++
    if (at === have.length) {
      console.log(`${deck}:${b.line}: the server never logged, in this order: ${l}`)
      console.log(`    it logged:\n${log.replace(/^/gm, '      ')}`)
      return false
    }
    at++
  }
  return true
}

async function checkTryIt(deck) {
  const all = blocks(deck)
  let ok = true, ran = 0
  for (let i = 0; i < all.length; i++) {
    const b = all[i]
    const m = /^try-it\b\s*(.*)$/.exec(b.source)
    if (!m) continue
    const args = m[1] ? m[1].split(/\s+/) : []
    const lesson = /^\d\d-/.test(args[0] ?? '') ? `lessons/${args.shift()}` : lessonOf(deck)
    const defaultPort = /\.port = "(\d+)"/.exec(readFileSync(`${repo}/${lesson}/server.c`, 'utf8'))?.[1]
    const server = await startServer(lesson, args)
    try {
      ok = runCommands(b, deck, server.port, defaultPort) && ok
      ran++
      const next = all[i + 1]
      if (next && next.source === 'server-log') {
        await server.settle()
        ok = checkLog(next, deck, server.log()) && ok
      }
      if (!server.alive()) {
        console.log(`${deck}:${b.line}: the server died: ${server.log()}`)
        ok = false
      }
    } finally {
      server.stop()
    }
  }
  console.log(`slides: ${deck}: ${ran} try-it blocks run${ok ? '' : ', some FAILED'}`)
  return ok
}

// ---- png: a rendered slide is not blank ------------------------------------

// Count the distinct colours of an 8-bit RGB/RGBA, non-interlaced PNG (what
// Chromium writes). A blank page has one or two; a slide has hundreds.
function pngColours(file) {
  const buf = readFileSync(file)
  let width, height, colourType, idat = []
  for (let p = 8; p < buf.length;) {
    const len = buf.readUInt32BE(p), type = buf.toString('latin1', p + 4, p + 8)
    const data = buf.subarray(p + 8, p + 8 + len)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4)
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs')
      colourType = data[9]
    } else if (type === 'IDAT') idat.push(data)
    p += 12 + len
  }
  const bpp = { 2: 3, 6: 4 }[colourType]
  if (!bpp) throw new Error(`unsupported PNG colour type ${colourType}`)
  const raw = inflateSync(Buffer.concat(idat)), stride = width * bpp
  let prev = Buffer.alloc(stride)
  const colours = new Set()
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)))
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0
      const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c)
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]
      line[x] = (line[x] + pred) & 0xff
    }
    for (let x = 0; x < stride; x += bpp) colours.add(line.readUIntBE(x, 3))
    prev = line
  }
  return colours.size
}

// ---- main -------------------------------------------------------------------

const [what, ...args] = process.argv.slice(2)
if (what === 'code') {
  process.exit(checkCode(args) ? 0 : 1)
} else if (what === 'try-it') {
  let ok = true
  for (const deck of args) ok = (await checkTryIt(deck)) && ok
  process.exit(ok ? 0 : 1)
} else if (what === 'png') {
  const n = pngColours(args[0])
  console.log(`slides: ${args[0]}: ${n} distinct colours`)
  process.exit(n >= 16 ? 0 : 1)
} else {
  console.error('usage: check.mjs code DECK... | try-it DECK... | png FILE.png')
  process.exit(2)
}
