// engine.mjs — Marp Core plus one plugin: every local image a deck uses is
// inlined as a data: URI, so each built HTML deck is one self-contained file
// (no diagrams/ folder to carry around, nothing fetched when presenting).
// Paths are relative to slides/, where every deck lives.
import { Marp } from '@marp-team/marp-core'
import { readFileSync } from 'node:fs'
import { dirname, extname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const types = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg' }

function inlineImages(md) {
  md.core.ruler.after('inline', 'inline_local_images', (state) => {
    const visit = (tokens) => {
      for (const t of tokens) {
        if (t.children) visit(t.children)
        if (t.type !== 'image') continue
        const src = t.attrGet('src')
        if (!src || /^[a-z]+:/i.test(src)) continue  // http:, data: ... left alone
        const file = resolve(here, src)
        const type = types[extname(file)] || 'application/octet-stream'
        // A missing image is an error: `make slides` builds the diagrams first.
        const data = readFileSync(file).toString('base64')
        const uri = `data:${type};base64,${data}`
        t.attrSet('src', uri)
        // Marpit has already noted the URL for ![bg](...) images: update it too.
        if (t.meta?.marpitImage) t.meta.marpitImage.url = uri
      }
    }
    visit(state.tokens)
  })
}

// breaks: false — a line break in the Markdown source is just a space, so
// prose can be wrapped in the source without breaking lines on the slide.
export default (options) =>
  new Marp({ ...options, math: false, markdown: { breaks: false } }).use(inlineImages)
