-- osls for Neovim: starts `osls serve` for a study's project.yaml and its dataset
-- definitions (Python files inside a folder that has a project.yaml), and adds user commands
-- for the server's commands.
--
--   require("osls").setup{}                      -- defaults
--   require("osls").setup{ cmd = { "/path/to/osls", "serve" } }
--   require("osls").setup{ init_options = { opencodelistsUrl = "https://www.opencodelists.org" } }
--
-- :OslsRun / :OslsRunWithNeeds run the action under the cursor (or the one named); the
-- server reports progress with $/progress and streams the job's log, which is collected in
-- the buffer "osls://run-log" (:OslsRunLog shows it).
--
-- Works on Neovim 0.7 to 0.11: where vim.lsp.config exists (0.11) the server is registered
-- with it and enabled; before that, a FileType autocommand starts or reuses one client per
-- study.

local M = {}

M.defaults = {
  cmd = { "osls", "serve" },
  filetypes = { "yaml", "python" },
  -- Python files count as dataset definitions only inside a study folder.
  python = true,
  on_attach = nil,
  capabilities = nil,
  settings = {},
  init_options = {},
  -- Open the run log in a split when a run starts.
  show_run_log = false,
}

M.config = vim.deepcopy(M.defaults)

local uv = vim.loop or vim.uv

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

--- The study folder of a file: the nearest folder at or above it holding project.yaml.
function M.root_of(fname)
  if fname == nil or fname == "" then
    return nil
  end
  local dir = vim.fn.fnamemodify(fname, ":p:h")
  while dir and dir ~= "" do
    if exists(dir .. "/project.yaml") then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

--- Whether osls should serve a buffer, and the study folder it belongs to.
function M.study_of(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name:match("project%.yaml$") then
    return vim.fn.fnamemodify(name, ":p:h")
  end
  if M.config.python and name:match("%.py$") then
    return M.root_of(name)
  end
  return nil
end

local clients = {} -- study folder -> client id (Neovim before 0.11)

local log_buf = nil

--- The buffer that collects the log of the actions run from the editor.
function M.run_log_buffer()
  if log_buf == nil or not vim.api.nvim_buf_is_valid(log_buf) then
    log_buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(log_buf, "osls://run-log")
    vim.bo[log_buf].buftype = "nofile"
    vim.bo[log_buf].bufhidden = "hide"
    vim.bo[log_buf].swapfile = false
  end
  return log_buf
end

local function show_run_log()
  local buf = M.run_log_buffer()
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(w) == buf then
      return
    end
  end
  vim.cmd("botright split")
  vim.api.nvim_win_set_buf(0, buf)
  vim.cmd("wincmd p")
end

--- Handler of osls/runLog: one line of a running action's log. (Lines written before an
--- action starts, such as a workspace that could not be prepared, come with no action.)
function M.on_run_log(_, params)
  if not params then
    return
  end
  local buf = M.run_log_buffer()
  local action = params.action
  if action == nil or action == "" then
    action = "osls"
  end
  local lines = {}
  for _, text in ipairs(vim.split(params.text or "", "\n", { plain = true })) do
    table.insert(lines, string.format("[%s] %s", action, text))
  end
  local n = vim.api.nvim_buf_line_count(buf)
  local first = vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1]
  if n == 1 and first == "" then
    vim.api.nvim_buf_set_lines(buf, 0, 1, false, lines)
  else
    vim.api.nvim_buf_set_lines(buf, n, n, false, lines)
  end
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(w) == buf then
      vim.api.nvim_win_set_cursor(w, { vim.api.nvim_buf_line_count(buf), 0 })
    end
  end
end

local handlers = {
  ["osls/runLog"] = function(err, params, ctx, config)
    M.on_run_log(err, params, ctx, config)
  end,
}

local function client_config(root)
  return {
    name = "osls",
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    on_attach = M.config.on_attach,
    capabilities = M.config.capabilities or vim.lsp.protocol.make_client_capabilities(),
    settings = M.config.settings,
    init_options = M.config.init_options,
    handlers = handlers,
  }
end

local function attach_legacy(bufnr)
  local root = M.study_of(bufnr)
  if not root then
    return
  end
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil or vim.lsp.get_client_by_id(id).is_stopped() then
    if vim.lsp.start then -- 0.8 to 0.10: reuses a running client with the same name and root
      id = vim.lsp.start(client_config(root), { bufnr = bufnr })
      clients[root] = id
      return
    end
    id = vim.lsp.start_client(client_config(root))
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

--- The osls clients attached to a buffer (any Neovim version).
function M.clients(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ bufnr = bufnr })
  else
    all = vim.lsp.buf_get_clients(bufnr)
  end
  local out = {}
  for _, c in pairs(all) do
    if c.name == "osls" then
      table.insert(out, c)
    end
  end
  return out
end

--- The action whose block holds the cursor: the nearest line above indented like an action id.
local function action_at_cursor(bufnr)
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, row, false)
  for i = #lines, 1, -1 do
    local id = lines[i]:match("^  ([^%s#:][^:]*):%s*$") or lines[i]:match("^  ([^%s#:][^:]*):%s*{")
    if id then
      return vim.trim(id)
    end
  end
  return nil
end

local function run_command(command, args)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1]
  if not client then
    vim.notify("osls is not running for this buffer", vim.log.levels.WARN)
    return
  end
  local action = args.args ~= "" and args.args or action_at_cursor(bufnr)
  if not action then
    vim.notify("Give an action name, or put the cursor inside an action", vim.log.levels.WARN)
    return
  end
  local project = (client.config.root_dir or vim.fn.expand("%:p:h")) .. "/project.yaml"
  if M.config.show_run_log then
    show_run_log()
  end
  client.request("workspace/executeCommand", {
    command = command,
    arguments = { vim.uri_from_fname(project), action },
  }, function(err, result)
    if err then
      vim.notify("osls: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif result and result.message then
      -- End the run log with the outcome of each action, so that one that printed nothing
      -- shows there too.
      M.on_run_log(nil, { action = "osls", text = (result.ran == false and "" or "finished: ") .. result.message })
      local level = vim.log.levels.INFO
      if result.ran == false or result.ok == false then
        level = vim.log.levels.WARN
      end
      vim.notify(result.message, level)
    end
    if M.on_run_done then
      M.on_run_done(err, result)
    end
  end, bufnr)
end

-- Old Neovims cannot watch files for the server; tell it when a buffer of the study is
-- written, so that "file not found" clears as soon as the script is saved.
local function notify_written(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = M.root_of(name)
  if not root then
    return
  end
  for _, c in pairs(vim.lsp.get_active_clients and vim.lsp.get_active_clients() or vim.lsp.get_clients()) do
    if c.name == "osls" and c.config.root_dir == root then
      c.notify("workspace/didChangeWatchedFiles", {
        changes = { { uri = vim.uri_from_fname(vim.fn.fnamemodify(name, ":p")), type = 2 } },
      })
    end
  end
end

local function user_commands()
  vim.api.nvim_create_user_command("OslsRun", function(a)
    run_command("osls.runAction", a)
  end, { nargs = "?", desc = "osls: run an action (default: the one under the cursor)" })
  vim.api.nvim_create_user_command("OslsRunWithNeeds", function(a)
    run_command("osls.runActionWithNeeds", a)
  end, { nargs = "?", desc = "osls: run an action and the actions it needs" })
  vim.api.nvim_create_user_command("OslsRunLog", function()
    show_run_log()
  end, { desc = "osls: show the log of the actions run from the editor" })
  vim.api.nvim_create_user_command("OslsInfo", function()
    local cs = M.clients()
    if #cs == 0 then
      print("osls: not attached to this buffer")
      return
    end
    for _, c in ipairs(cs) do
      print(string.format("osls: client %d, study %s, cmd %s", c.id, c.config.root_dir or "?", table.concat(c.config.cmd, " ")))
    end
  end, { desc = "osls: show the server attached to this buffer" })
  vim.api.nvim_create_user_command("OslsRestart", function()
    for _, c in ipairs(M.clients()) do
      c.stop()
    end
    clients = {}
    vim.defer_fn(function()
      for _, b in ipairs(vim.api.nvim_list_bufs()) do
        if vim.api.nvim_buf_is_loaded(b) then
          attach_legacy(b)
        end
      end
    end, 500)
  end, { desc = "osls: restart the language server" })
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  user_commands()
  local group = vim.api.nvim_create_augroup("osls", { clear = true })
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config("osls", {
      cmd = M.config.cmd,
      filetypes = M.config.filetypes,
      root_dir = function(bufnr, on_dir)
        local root = M.study_of(bufnr)
        if root then
          on_dir(root)
        end
      end,
      on_attach = M.config.on_attach,
      capabilities = M.config.capabilities,
      settings = M.config.settings,
      init_options = M.config.init_options,
      handlers = handlers,
    })
    vim.lsp.enable("osls")
  else
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        attach_legacy(args.buf)
      end,
    })
    -- Buffers already open when setup runs.
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(M.config.filetypes, vim.bo[b].filetype) then
        attach_legacy(b)
      end
    end
  end
  vim.api.nvim_create_autocmd("BufWritePost", {
    group = group,
    callback = function(args)
      notify_written(args.buf)
    end,
  })
end

return M
