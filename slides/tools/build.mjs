// build.mjs OUTDIR html|pdf DECK.md... — convert decks with Marp CLI, in one
// Node process (starting Marp once per deck costs a second or two each).
// `make slides` and `make slides-pdf` call it; see slides/Makefile.
import { marpCli } from '@marp-team/marp-cli'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const slides = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const engine = resolve(slides, 'engine.mjs')
const theme = resolve(slides, 'theme.css')
const [outDir, kind, ...decks] = process.argv.slice(2)
let failed = 0
for (const deck of decks) {
  const out = resolve(outDir, basename(deck, '.md') + (kind === 'pdf' ? '.pdf' : '.html'))
  const args = ['--no-config-file', '--engine', engine, '--theme-set', theme, '-o', out, deck]
  if (kind === 'pdf') args.push('--pdf', '--pdf-outlines', '--pdf-notes')
  if ((await marpCli(args)) !== 0) failed++
}
process.exit(failed ? 1 : 0)
