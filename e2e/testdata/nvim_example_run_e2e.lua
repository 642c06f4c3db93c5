-- Runs the bundled example study's pipeline from headless Neovim as a user would: first
-- :OslsRun on `summarise` alone (it fails: generate_dataset has not made its dataset yet,
-- and RUN001 shows on project.yaml), then :OslsRunWithNeeds with the cursor on the same
-- action, which runs the ehrQL action and then the script, and clears RUN001. Writes what
-- the editor saw to $OSLS_OUT.
local bin, study, out = os.getenv("OSLS_BIN"), os.getenv("OSLS_STUDY"), os.getenv("OSLS_OUT")
local res = { errors = {}, progress = {}, notifications = {}, runs = {} }

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
      table.insert(res.progress, { token = tostring(result.token), kind = result.value.kind, title = result.value.title, message = result.value.message })
    end
    if default_progress then
      return default_progress(e, result, ctx, config)
    end
  end
  -- Count the diagnostics published for project.yaml, to wait for those of a run.
  local published = 0
  local default_publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
  vim.lsp.handlers["textDocument/publishDiagnostics"] = function(e, result, ctx, config)
    if result and result.uri and result.uri:match("project%.yaml$") then
      published = published + 1
    end
    return default_publish(e, result, ctx, config)
  end
  vim.notify = function(msg, level)
    table.insert(res.notifications, msg)
  end
  local osls = require("osls")
  osls.setup({ cmd = { bin, "serve" } })
  local done, answer = false, nil
  osls.on_run_done = function(e, result)
    answer = { error = e and (e.message or vim.inspect(e)) or nil, result = result }
    done = true
  end
  vim.cmd("edit " .. study .. "/project.yaml")
  local buf = vim.api.nvim_get_current_buf()
  res.attached = vim.wait(10000, function()
    return #osls.clients(buf) > 0
  end, 20)
  if not res.attached then
    fail("no client attached")
    return
  end
  -- The first diagnostics of the study (none are expected), so later waits see only a run's.
  vim.wait(5000, function()
    return published > 0
  end, 20)

  local function diagnostics()
    local ds = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(ds, { code = d.code and tostring(d.code) or "", line = d.lnum, message = d.message })
    end
    return ds
  end

  -- Runs a command with the cursor on the line of `summarise`, and waits for its answer and
  -- for project.yaml's diagnostics that follow it.
  local function run(command, pred)
    done, answer = false, nil
    local before = published
    vim.api.nvim_win_set_cursor(0, { 1, 0 })
    if vim.fn.search("^  summarise:") == 0 then
      fail("no summarise action in project.yaml")
      return
    end
    -- Inside the action's block, as a user would be.
    vim.fn.search("run: python", "W")
    vim.cmd(command)
    if not vim.wait(60000, function()
      return done
    end, 20) then
      fail(command .. " did not finish")
      return
    end
    local waited = vim.wait(10000, function()
      return published > before and pred(diagnostics())
    end, 20)
    local r = { command = command, answer = answer, diagnostics = diagnostics(), diagnostics_settled = waited }
    table.insert(res.runs, r)
  end
  local function has_run_code(ds)
    for _, d in ipairs(ds) do
      if d.code:match("^RUN") then
        return true
      end
    end
    return false
  end

  run("OslsRun", has_run_code)
  run("OslsRunWithNeeds", function(ds)
    return not has_run_code(ds)
  end)
  -- Let late diagnostics (the outputs' disclosure checks, in the background) arrive.
  local n = published
  vim.wait(1500, function()
    return published > n + 1
  end, 50)
  res.final_diagnostics = diagnostics()
  res.run_log = table.concat(vim.api.nvim_buf_get_lines(osls.run_log_buffer(), 0, -1, false), "\n")
end)
if not ok then
  fail(tostring(err))
end
finish()
