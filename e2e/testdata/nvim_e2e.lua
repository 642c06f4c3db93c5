-- Drives Neovim's built-in LSP client against osls and writes what it saw to $OSLS_OUT as
-- JSON. Run by e2e/nvim_test.go:
--   nvim --headless -u NONE -i NONE --cmd "set rtp+=editors/nvim" -c "luafile nvim_e2e.lua"
local bin, study, out = os.getenv("OSLS_BIN"), os.getenv("OSLS_STUDY"), os.getenv("OSLS_OUT")
local res = { errors = {}, nvim = tostring(vim.version().major) .. "." .. tostring(vim.version().minor) }

local function finish()
  local f = io.open(out, "w")
  f:write(vim.fn.json_encode(res))
  f:close()
  vim.cmd("qall!")
end

local function fail(msg)
  table.insert(res.errors, msg)
end

local ok, err = pcall(function()
  vim.cmd("filetype on")
  require("osls").setup({ cmd = { bin, "serve" } })
  vim.cmd("edit " .. study .. "/project.yaml")
  local buf = vim.api.nvim_get_current_buf()

  res.attached = vim.wait(10000, function()
    return #require("osls").clients(buf) > 0
  end, 20)
  if not res.attached then
    fail("no client attached")
    return
  end
  local client = require("osls").clients(buf)[1]

  local function codes()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(out, { code = d.code, line = d.lnum, col = d.col, message = d.message })
    end
    return out
  end
  vim.wait(10000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  res.diagnostics = codes()

  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function find(pattern)
    for i, l in ipairs(lines) do
      local s = l:find(pattern, 1, true)
      if s then
        return { line = i - 1, character = s - 1 }
      end
    end
    fail("not in the fixture: " .. pattern)
    return { line = 0, character = 0 }
  end
  local uri = vim.uri_from_bufnr(buf)
  local function at(pos)
    return { textDocument = { uri = uri }, position = pos }
  end
  local function request(method, params)
    local r, e = client.request_sync(method, params, 5000, buf)
    if not r then
      fail(method .. ": " .. tostring(e))
      return nil
    end
    if r.err then
      fail(method .. ": " .. vim.inspect(r.err))
      return nil
    end
    return r.result
  end
  local function labels(result)
    local items = result and (result.items or result) or {}
    local out = {}
    for _, it in ipairs(items) do
      table.insert(out, it.label)
    end
    return out
  end

  -- Completion in needs (after "[" of the report's needs) and of an image (after "run: ").
  local p = find("[analyze]")
  res.complete_needs = labels(request("textDocument/completion", at({ line = p.line, character = p.character + 1 })))
  p = find("run: r:v2")
  res.complete_image = labels(request("textDocument/completion", at({ line = p.line, character = p.character + 5 })))

  -- Hover on the action id "analyse".
  p = find("  analyse:")
  local h = request("textDocument/hover", at({ line = p.line, character = p.character + 3 }))
  res.hover = h and h.contents and (h.contents.value or h.contents) or ""

  -- Definition of the need "generate_dataset".
  p = find("needs: [generate_dataset]")
  local def = request("textDocument/definition", at({ line = p.line, character = p.character + 10 }))
  if def then
    local loc = def[1] or def
    res.definition = { uri = loc.uri or loc.targetUri, line = (loc.range or loc.targetSelectionRange).start.line }
  end

  -- The quick fix for the misspelt need, applied through the client.
  p = find("[analyze]")
  local pos = { line = p.line, character = p.character + 2 }
  local actions = request("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = pos, ["end"] = pos },
    context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics and vim.lsp.diagnostic.get_line_diagnostics(buf, p.line) or {} },
  }) or {}
  res.fix_titles = {}
  for _, a in ipairs(actions) do
    table.insert(res.fix_titles, a.title)
    if a.title == 'Change to "analyse"' and a.edit then
      vim.lsp.util.apply_workspace_edit(a.edit, client.offset_encoding or "utf-16")
    end
  end
  res.fixed_line = vim.api.nvim_buf_get_lines(buf, p.line, p.line + 1, false)[1]
  vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == "PY061" then
        return false
      end
    end
    return true
  end, 20)
  res.diagnostics_after_fix = codes()

  -- A code lens command: the study has errors, so running is refused, saying why.
  local lenses = request("textDocument/codeLens", { textDocument = { uri = uri } }) or {}
  res.lenses = #lenses
  if lenses[1] then
    local r = request("workspace/executeCommand", lenses[1].command)
    res.run_message = r and r.message or ""
  end
end)
if not ok then
  fail(tostring(err))
end
finish()
