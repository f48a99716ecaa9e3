// check.mjs — keeps the decks honest. Run from anywhere; paths are repo-relative.
//
//   node slides/tools/check.mjs code DECK.md...   no slide code has drifted
//   node slides/tools/check.mjs try-it DECK.md    "try it" blocks still print what they say
//   node slides/tools/check.mjs png FILE.png      a rendered slide is not blank
//   node slides/tools/check.mjs names DECK.md...  every excerpt names its function
//   node slides/tools/check.mjs notes DECK.md...  every slide has a note with its
//                                                 minute mark; a recap ends the deck;
//                                                 sittings of 90 min at most; each
//                                                 checkpoint named on its slide
//   node slides/tools/check.mjs mistakes DECK...  the "mistakes students make" slide
//                                                 names only patches of the catalogue
//   (names and notes take --pending "DECK.md...": reported, not failed)
//
// A deck marks its fenced blocks in the info string (after the language, so
// GitHub and Marp still highlight them and the Markdown reads normally):
//
//   ```c lessons/01-echo/server.c      must appear verbatim in that file
//   ```diff make diff L=02             must appear verbatim in `make diff L=02`
//   ```console try-it [SERVER ARGS]    run: each "$ " line against a fresh server
//                                      (a "$ name='...'" line sets a variable
//                                      for the block's later lines)
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
//
// An excerpt names its function: a C block (or a diff block, by its new side)
// that starts inside a function, struct or enum of its source passes only if
// the slide says which one, as `name()` (or `struct name`) in its text, e.g.
// its heading. A block that starts with the definition itself names it.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
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
  return locatePiece(text, piece, from)?.end ?? -1
}

// The same, as { start, end, indent } (or null).
function locatePiece(text, piece, from) {
  for (const indent of ['', '    ', '        ', '            ']) {
    const want = piece.map((l) => (l === '' ? '' : indent + l)).join('\n') + '\n'
    let at = from
    while ((at = text.indexOf(want, at)) >= 0) {
      if (at === 0 || text[at - 1] === '\n') return { start: at, end: at + want.length, indent }
      at++
    }
  }
  return null
}

// ---- naming: every excerpt says which function it comes from ---------------

// The top-level definition that text[at] lies inside, as the name a slide
// must mention ("on_readable()", "struct conn"), or null when at is at the top
// level itself (the excerpt starts with its own definition) or is anonymous.
function enclosingName(text, at) {
  const before = text.slice(0, at).split('\n')
  before.pop()                              // the excerpt's own first line
  const first = text.slice(at).split('\n')[0]
  if (/^\S/.test(first) && !/^[})]/.test(first)) return null   // starts at the top level
  for (let i = before.length - 1; i >= 0; i--) {
    const l = before[i]
    if (/^}/.test(l)) return null           // after a definition ended: top level
    if (!/^[A-Za-z_]/.test(l)) continue
    const struct = /^(?:static\s+|typedef\s+)*(struct|enum|union)\s+(\w+)\s*\{/.exec(l)
    if (struct) return `${struct[1]} ${struct[2]}`
    if (/^(?:static\s+|typedef\s+)*(struct|enum|union)\s*\{/.test(l)) return null
    if (/^[A-Za-z_].*=\s*\{?\s*$/.test(l) || /^}?\s*\w+\[\]\s*=/.test(l)) return l.match(/(\w+)\s*(\[\])?\s*=/)?.[1] ?? null
    const fn = /(\w+)\s*\([^;]*$/.exec(l)
    if (fn) return `${fn[1]}()`
  }
  return null
}

// The slide (its text outside code blocks and comments) holding line `line`.
function slideText(deckPath, line) {
  const lines = readFileSync(deckPath, 'utf8').split('\n')
  let start = 0, end = lines.length, fence = false
  for (let i = 0; i < lines.length; i++) {
    if (/^```/.test(lines[i])) fence = !fence
    if (fence || lines[i] !== '---') continue
    if (i < line - 1) start = i
    else { end = i; break }
  }
  let text = '', inFence = false
  for (const l of lines.slice(start, end)) {
    if (/^```/.test(l)) { inFence = !inFence; continue }
    if (!inFence) text += l + '\n'
  }
  return text.replace(/<!--[\s\S]*?-->/g, '')
}

// For a diff block: its new side (context and added lines), and the file the
// diff's "+++" line names before the piece.
function newSide(diffText, piece) {
  const at = locatePiece(diffText, piece, 0)
  if (!at) return null
  const file = [...diffText.slice(0, at.start).matchAll(/^\+\+\+ (\S+)/gm)].at(-1)?.[1]
  const lines = piece.filter((l) => !l.startsWith('-')).map((l) => l.slice(1))
  return file && lines.some((l) => l.trim()) ? { file, lines } : null
}

function checkNamed(deck, b, text) {
  if (readme(deck)) return true             // READMEs say it in their prose
  const isDiff = /^make diff /.test(b.source)
  const said = slideText(deck, b.line)
  for (const piece of splitPieces(b.body)) {
    let src = text, lines = piece
    if (isDiff) {
      const side = newSide(text, piece)
      if (!side) continue
      src = readFileSync(resolve(repo, side.file), 'utf8')
      lines = side.lines
    } else if (b.lang !== 'c') continue
    const at = locatePiece(src, lines, 0)
    if (!at) continue                       // drift is reported elsewhere
    const name = enclosingName(src, at.start)
    if (name && !said.includes(name)) {
      console.log(`${isPending(deck) ? 'pending: ' : ''}${deck}:${b.line}: this excerpt is from ${name}: say so on the slide (e.g. \`${name}\` in the heading)`)
      return false
    }
  }
  return true
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
  // A step that only sets shell variables (req='{...}') is remembered and
  // run before each later step of the block, as in one terminal: a long
  // request can sit in a variable instead of running off the slide.
  const vars = []
  for (const s of steps) {
    const cmd = s.cmd.replace(new RegExp(`\\b${defaultPort}\\b`, 'g'), port)
    if (/^[A-Za-z_]\w*=\S/.test(cmd) && !/[;&|]\s*\S/.test(cmd.replace(/'[^']*'/g, "''").replace(/\$\([^()]*\)/g, '$()'))) vars.push(cmd)
    const r = spawnSync('bash', ['-c', `${[...vars, cmd].join('\n')} 2>&1`], { cwd: repo, encoding: 'utf8', timeout: 15000 })
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

function checkNames(decks) {
  let failures = 0, checked = 0
  for (const deck of decks) {
    for (const b of blocks(deck)) {
      if (!b.source || /^(try-it|server-log|sketch)\b/.test(b.source)) continue
      let text
      try { text = sourceText(b.source) } catch { continue }   // reported by "code"
      checked++
      if (!checkNamed(deck, b, text) && !isPending(deck)) failures++
    }
  }
  console.log(`slides: ${checked} excerpts checked, ${failures} do not name their function (pending decks not counted)`)
  return failures === 0
}

// ---- notes: an instructor can run the class from them ----------------------

// Every slide has a speaker note whose first line is its minute mark,
// "[3 min, at 12/50]": this slide takes 3 minutes, and 12 of the deck's 50
// have gone by at its end. The marks add up, the last one is the deck's
// "Time: 50 minutes", and the last slide is the recap ("## Recap ...").
//
// One timing model for every deck: the live-coding happens on the code
// slides, inside the deck's minutes, never after it. So each checkpoint of
// the first note's "Type in this order" list is placed: "Checkpoint 3 here"
// in the note of the slide where it is run, in the list's order. A class slot
// is 90 minutes: a longer deck is split into sittings of at most 90. A
// slide headed "## Sitting K of N" begins sitting K (the deck begins the
// first); it is the restart after a break: its note says BREAK, and it
// holds a one-line recap, a paragraph starting "**So far:**". The first
// note then says "Time: T minutes, in N sittings".
const SLOT_MINUTES = 90

// The deck's slides as Markdown, in order (front matter left out).
function slideSources(md) {
  const parts = [[]]
  let fence = false
  for (const l of md.split('\n')) {
    if (/^```/.test(l)) fence = !fence
    if (!fence && l === '---') parts.push([])
    else parts.at(-1).push(l)
  }
  return parts.slice(2).map((p) => p.join('\n'))
}

// The checkpoint labels of the first note's list, in order.
function listedCheckpoints(firstNote) {
  const at = firstNote.search(/^Type in this order/m)
  if (at < 0) return []
  return [...firstNote.slice(at).matchAll(/^\s*Checkpoint (\w+):/gm)].map((m) => m[1])
}

function checkTimingModel(md, comments, bad) {
  const slides = slideSources(md)
  if (slides.length !== comments.length) return bad(`found ${slides.length} slides in the Markdown, Marp renders ${comments.length}`)
  const notes = comments.map((c) => c.join('\n'))
  const mins = notes.map((n) => +(/^\[(\d+) min/.exec(n.trim())?.[1] ?? 0))
  // Sittings.
  const starts = [0]
  let of = null
  slides.forEach((s, i) => {
    const m = /^## Sitting (\d+) of (\d+)\b/m.exec(s)
    if (!m) return
    if (+m[1] !== starts.length + 1) bad(`slide ${i + 1}: "Sitting ${m[1]}", but it is sitting ${starts.length + 1}`)
    if (of !== null && +m[2] !== of) bad(`slide ${i + 1}: "of ${m[2]}", an earlier one said "of ${of}"`)
    of = +m[2]
    starts.push(i)
    if (!/\bBREAK\b/.test(notes[i])) bad(`slide ${i + 1}: a sitting begins after a break: its note must say BREAK`)
    const recap = s.split(/\n\s*\n/).filter((p) => /^\*\*So far:\*\*/.test(p.trim()))
    if (recap.length !== 1) bad(`slide ${i + 1}: a sitting begins with a one-line recap, one paragraph starting "**So far:**"`)
  })
  if (of !== null && of !== starts.length) bad(`the sittings say "of ${of}", the deck has ${starts.length}`)
  starts.forEach((from, k) => {
    const to = starts[k + 1] ?? slides.length
    const sum = mins.slice(from, to).reduce((a, b) => a + b, 0)
    if (sum > SLOT_MINUTES) bad(`sitting ${k + 1} (slides ${from + 1}-${to}) takes ${sum} minutes, more than a ${SLOT_MINUTES}-minute slot: split it ("## Sitting K of N" after a break)`)
  })
  if (starts.length > 1 && !new RegExp(`^Time: \\d+ minutes, in ${starts.length} sittings\\b`, 'm').test(notes[0]))
    bad(`${starts.length} sittings: the first note must say "Time: T minutes, in ${starts.length} sittings"`)
  // Checkpoints, on the slides where they are run.
  let last = 0
  const labels = listedCheckpoints(notes[0])
  if (!labels.length) bad('the first note has no "Type in this order" list with its checkpoints ("Checkpoint 1: ...")')
  for (const label of labels) {
    const re = new RegExp(`\\bcheckpoint\\s+${label}\\s+(is\\s+)?here\\b`, 'i')
    const i = notes.findIndex((n, k) => k > 0 && re.test(n))
    if (i < 0) { bad(`checkpoint ${label} of the typing order: no slide's note says "Checkpoint ${label} here" (the slide where it is run)`); continue }
    if (i < last) bad(`checkpoint ${label} is named on slide ${i + 1}, before the checkpoint listed ahead of it (slide ${last + 1})`)
    last = Math.max(last, i)
  }
  return starts.length
}

async function checkNotes(decks) {
  const { Marp } = await import('@marp-team/marp-core')
  let ok = true
  for (const deck of decks) {
    const md = readFileSync(deck, 'utf8')
    const { comments } = new Marp({ math: false }).render(md)
    const total = +(/^Time: (\d+) minutes\b/m.exec(md)?.[1] ?? NaN)
    const bad = (msg) => {
      console.log(`${isPending(deck) ? 'pending: ' : ''}${deck}: ${msg}`)
      if (!isPending(deck)) ok = false
    }
    if (!total) bad('no "Time: N minutes" line in the notes')
    let sum = 0
    comments.forEach((notes, i) => {
      const mark = /^\[(\d+) min, at (\d+)\/(\d+)\]/.exec(notes.join('\n').trim())
      if (!mark) return bad(`slide ${i + 1}: its note does not start with a minute mark like "[3 min, at 12/${total}]"`)
      sum += +mark[1]
      if (+mark[2] !== sum) bad(`slide ${i + 1}: the running total says ${mark[2]}, the marks so far add up to ${sum}`)
      if (+mark[3] !== total) bad(`slide ${i + 1}: "/${mark[3]}", but the deck's Time: is ${total} minutes`)
    })
    if (sum !== total) bad(`the minute marks add up to ${sum}, the deck's Time: says ${total}`)
    const last = md.split(/^---$/m).at(-1)
    if (!/^## Recap\b/m.test(last)) bad('the last slide is not the recap ("## Recap")')
    const sittings = checkTimingModel(md, comments, bad)
    console.log(`slides: ${deck}: ${comments.length} slides, ${sum} of ${total} minutes${sittings > 1 ? `, in ${sittings} sittings` : ''}`)
  }
  return ok
}

// ---- mistakes: the deck's "mistakes students make" come from the catalogue ----

// tests/grade/mistakes/NN-name/K-slug.patch holds the mistakes students make
// in lesson NN, each proved caught (or named as a known gap) by
// tests/grade/mistakes.sh; its first line is "Mistake: WHAT — breaks ..." or
// "— not caught: WHY". A deck whose lesson has a catalogue has one slide
// headed "## Mistakes students make"; each of its bullets names one patch
// as `K-slug`, which must exist, and says "not caught" exactly when the
// patch's header does. A deck without a catalogue has no such slide: it
// would name mistakes nothing checks.
function checkMistakes(decks) {
  let ok = true
  for (const deck of decks) {
    const lesson = basename(deck, '.md')
    const dir = resolve(repo, 'tests/grade/mistakes', lesson)
    let patches = null
    try { patches = new Set(readdirSync(dir).filter((f) => f.endsWith('.patch')).map((f) => f.slice(0, -6))) } catch { patches = null }
    const slides = slideSources(readFileSync(deck, 'utf8'))
    const found = slides.filter((s) => /^## Mistakes students make\b/m.test(s))
    const bad = (msg) => { console.log(`${deck}: ${msg}`); ok = false }
    if (!patches) {
      if (found.length) bad(`a "Mistakes students make" slide, but lesson ${lesson} has no catalogue (tests/grade/mistakes/${lesson}/)`)
      console.log(`slides: ${deck}: no mistakes catalogue yet`)
      continue
    }
    if (found.length !== 1) { bad(`lesson ${lesson} has a mistakes catalogue: the deck needs one slide "## Mistakes students make" (it has ${found.length})`); continue }
    const text = found[0].replace(/<!--[\s\S]*?-->/g, '')
    const bullets = text.split('\n').filter((l) => /^- /.test(l))
    if (!bullets.length) bad('the mistakes slide lists no mistake ("- ..." bullets)')
    for (const b of bullets) {
      const names = [...b.matchAll(/`(\d+-[a-z0-9-]+)`/g)].map((m) => m[1])
      if (names.length !== 1) { bad(`mistakes slide: each bullet names one patch as \`K-slug\`: ${b}`); continue }
      const name = names[0]
      if (!patches.has(name)) { bad(`mistakes slide: ${name} is not in tests/grade/mistakes/${lesson}/`); continue }
      const header = readFileSync(resolve(dir, `${name}.patch`), 'utf8').split('\n')[0]
      const gap = /— not caught:/.test(header)
      if (gap !== /not caught/.test(b)) bad(`mistakes slide: ${name} ${gap ? 'is not caught by make grade: say so' : 'is caught by make grade, not "not caught"'}`)
    }
    console.log(`slides: ${deck}: ${bullets.length} mistakes named, each in tests/grade/mistakes/${lesson}/`)
  }
  return ok
}

// ---- main -------------------------------------------------------------------

// --pending "A.md B.md": decks still being redone; names and notes report
// their problems (as "pending: ...") without failing.
const argv = process.argv.slice(2)
const pendingAt = argv.indexOf('--pending')
const pending = new Set(pendingAt < 0 ? [] : argv.splice(pendingAt, 2)[1].split(/\s+/).filter(Boolean).map((d) => resolve(d)))
const isPending = (deck) => pending.has(resolve(deck))
const [what, ...args] = argv
if (what === 'code') {
  process.exit(checkCode(args) ? 0 : 1)
} else if (what === 'try-it') {
  let ok = true
  for (const deck of args) ok = (await checkTryIt(deck)) && ok
  process.exit(ok ? 0 : 1)
} else if (what === 'names') {
  process.exit(checkNames(args) ? 0 : 1)
} else if (what === 'mistakes') {
  process.exit(checkMistakes(args) ? 0 : 1)
} else if (what === 'notes') {
  process.exit((await checkNotes(args)) ? 0 : 1)
} else if (what === 'png') {
  const n = pngColours(args[0])
  console.log(`slides: ${args[0]}: ${n} distinct colours`)
  process.exit(n >= 16 ? 0 : 1)
} else {
  console.error('usage: check.mjs code DECK... | try-it DECK... | names DECK... | notes DECK... | mistakes DECK... | png FILE.png')
  process.exit(2)
}
