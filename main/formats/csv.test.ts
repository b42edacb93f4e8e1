import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatCsv, parseCsv, sniffCsvDelimiter } from './csv'

const fail = (line: number, problem: string): never => {
  throw new Error(`${line}: ${problem}`)
}

function readAll(text: string, delimiter = ','): [number, string[]][] {
  const got: [number, string[]][] = []
  parseCsv(text, (f, line) => got.push([line, [...f]]), fail, delimiter)
  return got
}

describe('formatCsv', () => {
  it('quotes exactly the fields that need it (delimiter, quote, CR, LF), null as an empty field', () => {
    expect(formatCsv([['a', 'b,c', 'say "hi"', 'two\nlines', 'cr\rhere', null, 1.5, 10n, ' pad ', 'é ✓']])).toBe(
      'a,"b,c","say ""hi""","two\nlines","cr\rhere",,1.5,10, pad ,é ✓\n',
    )
  })

  it('ends every record with the requested line end', () => {
    expect(formatCsv([['h1', 'h2'], [1, 2]], { eol: '\r\n' })).toBe('h1,h2\r\n1,2\r\n')
    expect(formatCsv([['h1', 'h2'], [1, 2]])).toBe('h1,h2\n1,2\n')
    expect(formatCsv([])).toBe('')
  })

  it('round-trips any text through parseCsv: quotes, commas, line breaks, unicode', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'é', '✓', '😀', ',', '"', '\n', '\r', ' ', ';', '\t'), maxLength: 8 })
    const table = fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 6 }))
    fc.assert(
      fc.property(table, fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'), (rows, eol) => {
        // A record of one blank field reads as a blank line, which the reader skips by design.
        const kept = rows.filter((r) => !(r.length === 1 && (r[0] ?? '').trim() === ''))
        expect(readAll(formatCsv(rows, { eol })).map(([, f]) => f)).toEqual(kept)
      }),
      { numRuns: 300 },
    )
  })
})

describe('parseCsv', () => {
  it('splits RFC 4180 records: quotes, doubled quotes, line breaks in quotes, CRLF/LF/CR, blank lines', () => {
    expect(readAll('a,b\r\n"x, y","say ""hi"""\n\n"two\nlines",z\rlast,\n  \n')).toEqual([
      [1, ['a', 'b']],
      [2, ['x, y', 'say "hi"']],
      [4, ['two\nlines', 'z']],
      [6, ['last', '']],
    ])
  })

  it('ignores a byte-order mark and reads unicode as it is', () => {
    expect(readAll('\ufeffname,value\n"naïve, ✓",😀\n')).toEqual([
      [1, ['name', 'value']],
      [2, ['naïve, ✓', '😀']],
    ])
  })

  it('names the line and the problem of a malformed file', () => {
    expect(() => readAll('a\n"b"c\n')).toThrow('2: unexpected "c" after the closing quote of a field')
    expect(() => readAll('a\nb"c\n')).toThrow('2: a quote inside an unquoted field (quote the whole field and double the quote)')
    expect(() => readAll('a\n"bc\n')).toThrow('2: a quoted field is never closed (a missing closing quote)')
  })

  it('reads other delimiters, and finds the header line’s', () => {
    expect(readAll('a;b\n"1;2";3\n', ';')).toEqual([
      [1, ['a', 'b']],
      [2, ['1;2', '3']],
    ])
    expect(sniffCsvDelimiter('a;b;c\n1,2;3')).toBe(';')
    expect(sniffCsvDelimiter('a\tb\n')).toBe('\t')
    expect(sniffCsvDelimiter('"x;y",b\n')).toBe(',')
  })
})

describe('parseCsv error lines', () => {
  it('puts a never-closed quote on the line where its field opens', () => {
    expect(() => readAll('a,b\n1,"x\n2,""y""\n3\n')).toThrow('2: a quoted field is never closed')
    expect(() => readAll('a,b\r\n"ok\r\nstill",z\r\n5,"""open')).toThrow('4: a quoted field is never closed')
  })
})

describe('parseCsv on large files', () => {
  // Read in 1 Mi-character chunks: records, line numbers and CRLF line ends must not depend on where a chunk ends.
  it('keeps every record and its line across chunk boundaries, CRLF included, and quoted line breaks spanning one', () => {
    const lines: string[] = ['episode,frame,note']
    for (let i = 0, size = 0; size < 2.5 * (1 << 20); i++) {
      const l = i % 5000 === 7 ? `0,${i},"two\r\nlines"` : `0,${i},x`
      lines.push(l)
      size += l.length + 2
    }
    // Pad the header so that a CR falls on the last character of the first chunk, its LF on the next one.
    const boundary = (1 << 20) - 1
    const draft = `${lines.join('\r\n')}\r\n`
    lines[0] = `episode,frame,note${'_'.repeat(boundary - draft.lastIndexOf('\r', boundary))}`
    const text = `${lines.join('\r\n')}\r\n`
    expect([text.charCodeAt(boundary), text.charCodeAt(boundary + 1)]).toEqual([13, 10])
    const got: [string, number][] = []
    parseCsv(text, (fields, line) => got.push([fields[1] ?? '', line]), (line, problem) => {
      throw new Error(`${line}: ${problem}`)
    })
    // Expected lines: each record starts one line after the previous record's last line.
    let line = 1
    const expected: [string, number][] = lines.map((l) => {
      const at = line
      line += 1 + (l.includes('"two') ? 1 : 0)
      return [l.split(',')[1] ?? '', at]
    })
    expect(got.length).toBe(expected.length)
    expect(got).toEqual(expected)
  })
})
