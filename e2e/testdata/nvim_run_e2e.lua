-- Runs an action from headless Neovim with :OslsRun, as a user would, and writes what the
-- editor saw to $OSLS_OUT: the command's answer, the $/progress values and the run log.
local bin, study, out = os.getenv("OSLS_BIN"), os.getenv("OSLS_STUDY"), os.getenv("OSLS_OUT")
local res = { errors = {}, progress = {}, notifications = {} }

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
  -- Record progress as it arrives, then let Neovim handle it as usual.
  local default_progress = vim.lsp.handlers["$/progress"]
  vim.lsp.handlers["$/progress"] = function(e, result, ctx, config)
    if result and result.value then
      table.insert(res.progress, { token = tostring(result.token), kind = result.value.kind, title = result.value.title, message = result.value.message })
    end
    if default_progress then
      return default_progress(e, result, ctx, config)
    end
  end
  vim.notify = function(msg, level)
    table.insert(res.notifications, msg)
  end
  local osls = require("osls")
  osls.setup({ cmd = { bin, "serve" } })
  local done = false
  osls.on_run_done = function(e, result)
    res.run_error = e and (e.message or vim.inspect(e)) or nil
    res.run_result = result
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
  -- Put the cursor inside the action and run it.
  vim.fn.search("run: python")
  vim.cmd("OslsRun")
  if not vim.wait(30000, function()
    return done
  end, 20) then
    fail("the run did not finish")
  end
  local log = vim.api.nvim_buf_get_lines(osls.run_log_buffer(), 0, -1, false)
  res.run_log = table.concat(log, "\n")
  -- Diagnostics stay clean after a successful run.
  res.diagnostics = #vim.diagnostic.get(buf)
end)
if not ok then
  fail(tostring(err))
end
finish()
