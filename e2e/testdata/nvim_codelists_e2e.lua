-- Applies the "Import codelist" quick fix of a dataset definition in headless Neovim, against
-- the fake OpenCodelists server named by $OPENCODELISTS_URL, and writes what the editor saw
-- to $OSLS_OUT.
local bin, study, out = os.getenv("OSLS_BIN"), os.getenv("OSLS_STUDY"), os.getenv("OSLS_OUT")
local res = { errors = {}, progress = {} }

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
  local default_progress = vim.lsp.handlers["$/progress"]
  vim.lsp.handlers["$/progress"] = function(e, result, ctx, config)
    if result and result.value then
      table.insert(res.progress, { kind = result.value.kind, title = result.value.title, message = result.value.message })
    end
    if default_progress then
      return default_progress(e, result, ctx, config)
    end
  end
  vim.notify = function() end
  local osls = require("osls")
  osls.setup({ cmd = { bin, "serve" } })
  vim.cmd("edit " .. study .. "/analysis/dataset_definition.py")
  local buf = vim.api.nvim_get_current_buf()
  res.attached = vim.wait(10000, function()
    return #osls.clients(buf) > 0
  end, 20)
  if not res.attached then
    fail("no client attached")
    return
  end
  local client = osls.clients(buf)[1]
  local function codes()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(out, d.code)
    end
    table.sort(out)
    return out
  end
  vim.wait(10000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  res.diagnostics = codes()

  -- Hover on the path, then the quick fix on it.
  local lnum = vim.fn.search("opensafely-asthma.csv") - 1
  local col = vim.fn.col(".") + 2
  local uri = vim.uri_from_bufnr(buf)
  local pos = { line = lnum, character = col }
  local h = client.request_sync("textDocument/hover", { textDocument = { uri = uri }, position = pos }, 5000, buf)
  res.hover = h and h.result and h.result.contents and (h.result.contents.value or "") or ""
  local r = client.request_sync("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = pos, ["end"] = pos },
    context = { diagnostics = {} },
  }, 10000, buf)
  local actions = (r and r.result) or {}
  res.fix_titles = {}
  for _, a in ipairs(actions) do
    table.insert(res.fix_titles, a.title)
  end
  local chosen = nil
  for _, a in ipairs(actions) do
    if a.title:find("^Import codelist ") then
      chosen = a
      break
    end
  end
  if not chosen then
    fail("no Import codelist action")
    return
  end
  -- What vim.lsp.buf.code_action does with the chosen action: the edit, then the command.
  if chosen.edit then
    vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")
  end
  local txt = vim.fn.bufnr(study .. "/codelists/codelists.txt")
  if txt > 0 then
    res.edited_txt = table.concat(vim.api.nvim_buf_get_lines(txt, 0, -1, false), "\n")
  end
  local c = client.request_sync("workspace/executeCommand", chosen.command, 30000, buf)
  res.command_result = c and c.result or nil
  res.command_error = c and c.err and (c.err.message or vim.inspect(c.err)) or nil
  vim.wait(10000, function()
    for _, code in ipairs(codes()) do
      if code == "CL032" then
        return false
      end
    end
    return true
  end, 20)
  res.diagnostics_after = codes()
end)
if not ok then
  fail(tostring(err))
end
finish()
