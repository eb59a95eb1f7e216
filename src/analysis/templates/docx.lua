-- Pandoc Lua filter for the Word briefing (render_word.py): the same Markdown that feeds Typst, made Word-ready.
--
-- 1. The coloured verdict cells are the product's own raw Typst (briefing.status_cell):
--    `#text(fill: rgb("#1a7f37"), weight: "bold")[已完成]`{=typst}. Pandoc's docx writer drops raw Typst, which
--    would leave the status column empty, so each becomes a bold run in the same colour. Its text was escaped
--    for Typst (escape.typst_text: a backslash before punctuation); the backslashes are removed and the text is
--    XML-escaped here, the one boundary into OpenXML. Any other raw Typst stops the render: a verdict must never
--    vanish silently from a document sent to leadership.
-- 2. The fan charts take the full text width in a paragraph of their own style; table cells get a table style.

local function xml_escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

function RawInline(el)
  if el.format ~= "typst" then
    return nil
  end
  local colour, body = el.text:match('^#text%(fill: rgb%("#(%x%x%x%x%x%x)"%), weight: "bold"%)%[(.*)%]$')
  if not colour then
    error("raw Typst the Word briefing cannot show: " .. el.text)
  end
  body = body:gsub("\\(.)", "%1")
  return pandoc.RawInline("openxml", '<w:r><w:rPr><w:b/><w:bCs/><w:color w:val="' .. colour:upper() ..
    '"/></w:rPr><w:t xml:space="preserve">' .. xml_escape(body) .. "</w:t></w:r>")
end

function RawBlock(el)
  if el.format == "typst" then
    error("raw Typst block the Word briefing cannot show: " .. el.text)
  end
  return nil
end

-- A paragraph holding only a chart: style "Figure" (single-spaced, centred, no indent), full text width.
function Para(el)
  if #el.content == 1 and el.content[1].t == "Image" then
    local img = el.content[1]
    img.attributes["width"] = "100%"
    return pandoc.Div({pandoc.Plain({img})}, {["custom-style"] = "Figure"})
  end
  return nil
end

-- Table cells in style "Table Text" (五号, single-spaced): the body's 三号 at a fixed 28 pt would not fit.
local function cell_style(cell)
  -- a Plain in a table cell is always "Compact" in Pandoc's docx writer; a Para takes the Div's style
  local blocks = pandoc.Blocks(cell.contents):walk({Plain = function(p) return pandoc.Para(p.content) end})
  cell.contents = {pandoc.Div(blocks, {["custom-style"] = "Table Text"})}
  return cell
end

local function rows_style(rows)
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row.cells) do
      row.cells[i] = cell_style(cell)
    end
  end
end

-- Column widths from what the cells hold, the way a browser lays out a table: a column whose widest cell fits in
-- its fair share gets just that width (at 五号 a CJK character takes 3.7 mm, a Latin one about 1.8 mm in Times, plus the
-- cell margins), the long columns share the rest in proportion to the square root of their longest cell, so
-- a long column wraps to a few lines rather than squeezing a middling one; the table fills the
-- 156 mm text width. Pandoc would size them from the Markdown source, where a verdict cell is a long raw-Typst
-- string and "条款" came out one character wide. A header counts at half its length (it may wrap once).
local TEXT_MM, CJK_MM, LATIN_MM, PAD_MM = 156, 3.7, 1.8, 4.5

local function text_mm(s)
  local w = 0
  for _, c in utf8.codes(s) do
    w = w + ((c >= 0x2E80) and CJK_MM or LATIN_MM)
  end
  return w
end

-- the cell's text on one line, and its longest unbreakable word (Latin words do not wrap inside), in mm
local function cell_width(cell)
  local parts = {pandoc.utils.stringify(cell.contents)}
  pandoc.Blocks(cell.contents):walk({RawInline = function(r)
    for t in r.text:gmatch("<w:t[^>]*>(.-)</w:t>") do parts[#parts + 1] = t end
  end})
  local text, word = table.concat(parts, " "), 0
  for w in text:gmatch("[%w%p\128-\255]+") do
    local latin = w:gsub("[\128-\255]+", " ")          -- CJK may break between any two characters
    for piece in latin:gmatch("%S+") do word = math.max(word, #piece) end
  end
  return text_mm(text) + PAD_MM, word * LATIN_MM + PAD_MM
end

local function set_widths(el)
  local n, natural, least = #el.colspecs, {}, {}
  for i = 1, n do natural[i], least[i] = 4 * LATIN_MM + PAD_MM, 0 end
  local function widen(rows, factor)
    for _, row in ipairs(rows) do
      for i, cell in ipairs(row.cells) do
        if i <= n then
          local line, word = cell_width(cell)
          if factor < 1 then word = word * 1.1 end      -- the header is bold
          natural[i], least[i] = math.max(natural[i], factor * line), math.max(least[i], word)
        end
      end
    end
  end
  widen(el.head.rows, 0.5)
  for _, body in ipairs(el.bodies) do widen(body.body, 1) end
  local width, open, left = {}, {}, TEXT_MM
  for i = 1, n do open[i] = true end
  local changed = true
  while changed do                      -- fix every column that fits in its fair share of what is left
    changed = false
    local count = 0
    for i = 1, n do if open[i] then count = count + 1 end end
    if count == 0 then break end
    for i = 1, n do
      if open[i] and natural[i] <= left / count then
        width[i], open[i], left, changed = natural[i], false, left - natural[i], true
        break
      end
    end
  end
  local rest = 0                        -- the long columns: in proportion to the square root (they all wrap)
  for i = 1, n do if open[i] then rest = rest + math.sqrt(natural[i]) end end
  for i = 1, n do
    if open[i] then width[i] = left * math.sqrt(natural[i]) / rest end
  end
  -- no word split: a column narrower than its longest word widens, taken from the columns above theirs
  local excess, slack = 0, 0
  for i = 1, n do
    least[i] = math.min(least[i], TEXT_MM / n * 1.5)
    if width[i] < least[i] then excess, width[i] = excess + least[i] - width[i], least[i] end
  end
  for i = 1, n do slack = slack + math.max(width[i] - least[i], 0) end
  if excess > 0 and slack > 0 then
    local keep = math.max(1 - excess / slack, 0)
    for i = 1, n do
      if width[i] > least[i] then width[i] = least[i] + (width[i] - least[i]) * keep end
    end
  end
  local total = 0
  for i = 1, n do total = total + width[i] end
  for i, spec in ipairs(el.colspecs) do el.colspecs[i] = {spec[1], width[i] / total} end
end

-- The header row in bold as well: the reference's table style makes it so in Word, not every reader (LibreOffice)
-- applies a table style's header-row formatting.
local function bold_header(rows)
  for _, row in ipairs(rows) do
    for _, cell in ipairs(row.cells) do
      cell.contents = pandoc.Blocks(cell.contents):walk({
        Plain = function(p) return pandoc.Plain({pandoc.Strong(p.content)}) end,
        Para = function(p) return pandoc.Para({pandoc.Strong(p.content)}) end})
    end
  end
end

function Table(el)
  if #el.head.rows + #el.bodies > 0 and #el.colspecs > 0 then set_widths(el) end
  bold_header(el.head.rows)
  rows_style(el.head.rows)
  for _, body in ipairs(el.bodies) do
    rows_style(body.head)
    rows_style(body.body)
  end
  rows_style(el.foot.rows)
  return el
end
