// layout.mjs — does every slide read from the back row? Measured in a real
// browser: headless Chromium, driven by puppeteer-core (pinned in
// package.json), loads each built deck and looks at every slide.
//
//   node slides/tools/layout.mjs [--png DIR] [--shot FILE.png] [--report-only] [--pending "DECK.html..."] DECK.html...
//
// A slide fails, named by deck and slide number, when
//   - anything sticks out of the slide, or reaches down into the footer;
//   - code renders below 20 px, or any other text (inline code included)
//     below 22 px, in the slide's own 1280x720 space, *after* Marp's fitting
//     (Marp shrinks a code block that is too wide; we measure what is drawn:
//     the computed font size times the scale the element is drawn at);
//   - a diagram's text renders below 22 px (its SVG font size times the
//     scale the image is drawn at);
//   - a code block has more than 15 lines.
// The footer and the page number are left out: they are not read from afar.
//
// Prints one line per problem and a summary per deck (slides, smallest code
// and text size); exits 1 if any slide failed (0 with --report-only). Decks
// named in --pending (one argument, space-separated) are measured and
// reported the same way, but do not make it fail: decks still being redone.
// --png DIR also writes every slide as DIR/DECK-NN.png, to look at by eye;
// --shot FILE.png only slide 4 of the first deck (the test checks it is not blank).
// The browser: $CHROME_PATH, else what slides/tools/find-chrome.sh finds.
import puppeteer from 'puppeteer-core'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const LIMITS = { code: 20, text: 22, diagram: 22, codeLines: 15 }

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
let pngDir = null, reportOnly = false, shot = null
const decks = [], pending = new Set()
while (args.length) {
  const a = args.shift()
  if (a === '--png') pngDir = resolve(args.shift())
  else if (a === '--report-only') reportOnly = true
  else if (a === '--shot') shot = resolve(args.shift())
  else if (a === '--pending') for (const d of args.shift().split(/\s+/).filter(Boolean)) pending.add(resolve(d))
  else decks.push(resolve(a))
}
if (!decks.length) {
  console.error('usage: layout.mjs [--png DIR] [--shot FILE.png] [--report-only] [--pending "DECK.html..."] DECK.html...')
  process.exit(2)
}

let chrome
try {
  chrome = execFileSync(join(here, 'find-chrome.sh'), { encoding: 'utf8' }).trim()
} catch {
  console.error('layout: no Chromium or Chrome found (apt-get install chromium, or set CHROME_PATH)')
  process.exit(3)
}

// Runs in the page: measure every slide of the deck that is loaded.
function measure(limits) {
  const slides = []
  const svgs = [...document.querySelectorAll('svg[data-marpit-svg]')]
  svgs.forEach((svg, i) => {
    const problems = []
    const box = svg.getBoundingClientRect()
    const unit = box.width / 1280          // screen px per slide px
    const at = (r) => ({
      left: (r.left - box.left) / unit, right: (r.right - box.left) / unit,
      top: (r.top - box.top) / unit, bottom: (r.bottom - box.top) / unit,
      width: r.width / unit, height: r.height / unit,
    })
    // A slide with a background image is several layered sections: the one
    // holding the Markdown's content is the one we read.
    const sections = [...svg.querySelectorAll('section')]
    const section = sections.find((s) => s.dataset.marpitAdvancedBackground === 'content') ?? sections[0]
    const footer = section.querySelector(':scope > footer')
    const sec = at(section.getBoundingClientRect())
    const floor = footer && footer.textContent.trim() ? at(footer.getBoundingClientRect()).top : sec.bottom
    const heading = section.querySelector('h1, h2, h3')?.textContent.trim() ?? ''
    const snippet = (el) => JSON.stringify((el.textContent || el.getAttribute?.('alt') || el.tagName).trim().replace(/\s+/g, ' ').slice(0, 40))

    // 1. Nothing outside the slide, nothing down into the footer. Only the
    //    outermost offender is named, not each of its children too.
    const offenders = new Set()
    for (const el of section.querySelectorAll('*')) {
      if (el.closest('footer, header')) continue
      if ([...offenders].some((o) => o.contains(el))) continue
      const r = at(el.getBoundingClientRect())
      if (r.width === 0 || r.height === 0) continue
      let why = null
      if (r.bottom > floor + 0.5) why = r.bottom > sec.bottom + 0.5 ? 'runs off the bottom of the slide' : `runs into the footer (bottom at ${r.bottom.toFixed(0)} px, footer at ${floor.toFixed(0)} px)`
      else if (r.right > sec.right + 0.5 || r.left < sec.left - 0.5) why = 'sticks out at the side'
      else if (r.top < sec.top - 0.5) why = 'sticks out at the top'
      else if (/^(PRE|MARP-PRE|TABLE|TD|TH|P|LI)$/.test(el.tagName) && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
        why = 'is wider than its box (scrolls)'
      if (why) {
        offenders.add(el)
        problems.push(`${el.tagName.toLowerCase()} ${snippet(el)} ${why}`)
      }
    }

    // 2. Text and code size as drawn. The scale an element is drawn at is its
    //    on-screen width over its layout width (Marp fits code with an SVG
    //    transform, which getBoundingClientRect sees and offsetWidth does not).
    //    offsetWidth is rounded to whole pixels, so measure on a wide box: the
    //    code block's <code> (Marp scales it), else the nearest block.
    const scaleOf = (el) => {
      const code = el.closest('pre code, marp-pre code')
      if (code && code.offsetWidth > 0) return code.getBoundingClientRect().width / unit / code.offsetWidth
      for (let e = el; e && e !== section; e = e.parentElement) {
        if (e.offsetWidth > 0 && getComputedStyle(e).display !== 'inline') return e.getBoundingClientRect().width / unit / e.offsetWidth
      }
      return 1
    }
    let minCode = Infinity, minText = Infinity, minDiagram = Infinity
    const worst = { code: null, text: null }
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim()) continue
      const el = n.parentElement
      if (el.closest('footer, header, style, script')) continue
      const kind = el.closest('pre, marp-pre') ? 'code' : 'text'
      const px = parseFloat(getComputedStyle(el).fontSize) * scaleOf(el)
      if (kind === 'code' && px < minCode) { minCode = px; worst.code = el }
      if (kind === 'text' && px < minText) { minText = px; worst.text = el }
    }
    if (minCode < limits.code - 0.05) problems.push(`code renders at ${minCode.toFixed(1)} px (under ${limits.code}): ${snippet(worst.code.closest('code') ?? worst.code)}`)
    if (minText < limits.text - 0.05) problems.push(`text renders at ${minText.toFixed(1)} px (under ${limits.text}): ${snippet(worst.text)}`)

    // 3. Diagrams: an SVG image's text, at the size the image is drawn.
    const svgText = (uri) => {
      const m = /^data:image\/svg\+xml;base64,(.*)$/.exec(uri)
      if (!m) return null
      const doc = new DOMParser().parseFromString(atob(m[1]), 'image/svg+xml')
      const root = doc.documentElement
      const vb = (root.getAttribute('viewBox') || '').split(/[\s,]+/).map(Number)
      const sizes = [...doc.querySelectorAll('text')].map((t) => parseFloat(t.getAttribute('font-size') || '14'))
      return { w: vb[2], h: vb[3], smallest: Math.min(...sizes) }
    }
    for (const img of section.querySelectorAll('img')) {
      const s = svgText(img.getAttribute('src') || '')
      if (!s) continue
      const r = at(img.getBoundingClientRect())
      minDiagram = Math.min(minDiagram, s.smallest * Math.min(r.width / s.w, r.height / s.h))
    }
    for (const fig of svg.querySelectorAll('section[data-marpit-advanced-background="background"] figure')) {
      const s = svgText((/url\("?([^")]*)"?\)/.exec(fig.style.backgroundImage) || [])[1] || '')
      if (!s) continue
      const r = at(fig.getBoundingClientRect())
      minDiagram = Math.min(minDiagram, s.smallest * Math.min(r.width / s.w, r.height / s.h))
    }
    if (minDiagram < limits.diagram - 0.05) problems.push(`diagram text renders at ${minDiagram.toFixed(1)} px (under ${limits.diagram})`)

    // 4. No code block longer than the back row can follow.
    for (const code of section.querySelectorAll('pre code, marp-pre code')) {
      const lines = code.textContent.replace(/\n$/, '').split('\n').length
      if (lines > limits.codeLines) problems.push(`a code block of ${lines} lines (at most ${limits.codeLines}): ${snippet(code)}`)
    }
    // (Infinity does not survive the trip out of the page: null is "none".)
    const finite = (v) => (Number.isFinite(v) ? v : null)
    slides.push({ n: i + 1, heading, problems, minCode: finite(minCode), minText: finite(minText), minDiagram: finite(minDiagram) })
  })
  return slides
}

// Runs in the page: wait until every slide is laid out as it is shown,
// on signals, never on time. Two things made readings differ under load:
//  - Marp's HTML template gives every slide but the current one
//    `content-visibility: hidden`: the browser skips rendering them, so the
//    ResizeObservers of Marp's <marp-auto-scaling> (the fitting of wide code)
//    never report there, and a code block is measured at its unfitted size
//    ("runs into the footer"). Whether a slide got fitted depended on whether
//    a frame was drawn before the template hid it: on a loaded machine, often
//    not. So every slide is made visible here, as each is when presented.
//  - the fitting itself happens in ResizeObserver callbacks, a frame or two
//    after layout. So: the fonts are loaded, the custom elements defined,
//    every auto-scaling element has had both its sizes reported and has set
//    its SVG's viewBox, and then a whole rendering step (two animation
//    frames) changes nothing.
async function settle() {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()))
  const style = document.createElement('style')
  style.textContent = 'svg.bespoke-marp-slide { content-visibility: visible !important; }'
  document.head.append(style)
  await document.fonts.ready
  const hosts = () => [...document.querySelectorAll('*')].filter((e) => e.shadowRoot)
  if (document.querySelector('marp-pre, [data-auto-scaling]')) await customElements.whenDefined('marp-auto-scaling')
  const state = () => {
    const autos = hosts().flatMap((h) => [...h.shadowRoot.querySelectorAll('marp-auto-scaling')])
    let pending = 0
    const sig = autos.map((a) => {
      const svg = a.shadowRoot?.querySelector('svg')
      if (!a.containerSize || !a.wrapperSize || !svg?.getAttribute('viewBox') || svg.style.display === 'inline') pending++
      return `${svg?.getAttribute('viewBox')}|${svg?.getAttribute('preserveAspectRatio')}`
    }).join(';')
    return { pending, sig: `${document.fonts.status};${sig}`, count: autos.length }
  }
  let last = null
  for (let frames = 0; frames < 2000; frames += 2) {
    await frame()
    await frame()
    const now = state()
    if (now.pending === 0 && last && now.sig === last.sig) return { ok: true, frames, fitted: now.count }
    last = now
  }
  return { ok: false, why: `${last.pending} of ${last.count} code blocks never fitted after 2000 frames` }
}

const profile = mkdtempSync(join(tmpdir(), 'layout-profile-'))
const browser = await puppeteer.launch({
  executablePath: chrome,
  headless: true,
  userDataDir: profile,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars'],
})
let failed = 0
try {
  const page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 720 })
  if (pngDir) mkdirSync(pngDir, { recursive: true })
  for (const deck of decks) {
    const name = basename(deck, '.html')
    await page.goto(pathToFileURL(deck).href, { waitUntil: 'load' })
    const settled = await page.evaluate(settle)
    if (!settled.ok) {
      console.log(`${name}: the slides never settled (${settled.why}); not measured`)
      failed++
      continue
    }
    const slides = await page.evaluate(measure, LIMITS)
    const min = (k) => Math.min(...slides.map((s) => s[k] ?? Infinity))
    for (const s of slides) {
      for (const p of s.problems) console.log(`${name} slide ${s.n} (${s.heading}): ${p}`)
      if (s.problems.length && !pending.has(deck)) failed++
    }
    const fmt = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} px` : 'none')
    console.log(`layout: ${name}${pending.has(deck) ? ' (pending)' : ''}: ${slides.length} slides, ${slides.filter((s) => s.problems.length).length} with problems; ` +
      `smallest code ${fmt(min('minCode'))}, text ${fmt(min('minText'))}, diagram text ${fmt(min('minDiagram'))}`)
    if (shot && deck === decks[0]) {
      await page.evaluate(() => { location.hash = '#4' })
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
      await page.screenshot({ path: shot })
    }
    if (pngDir) {
      // The on-screen controls would cover the slide's bottom.
      await page.addStyleTag({ content: '.bespoke-marp-osc { display: none !important }' })
      for (let i = 1; i <= slides.length; i++) {
        await page.evaluate((n) => { location.hash = `#${n}` }, i)
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
        await page.screenshot({ path: join(pngDir, `${name}-${String(i).padStart(2, '0')}.png`) })
      }
    }
  }
} finally {
  await browser.close()
  rmSync(profile, { recursive: true, force: true })
}
process.exit(failed && !reportOnly ? 1 : 0)
