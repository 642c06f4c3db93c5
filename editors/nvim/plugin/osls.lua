-- osls is set up by require("osls").setup{} (see editors/nvim/README.md); loading the plugin
-- does nothing on its own, so that users choose their options first.
if vim.g.loaded_osls then
  return
end
vim.g.loaded_osls = true
