-- Run: PLANSEARCH_SOCKET=... PLANSEARCH_QUERY=... PLANSEARCH_EXPECT_FILE=... PLANSEARCH_EXPECT_LINE=...
--      [PLANSEARCH_EXPECT_COPY=FILE:LINE of the hit's copy]
--      nvim --headless -u NONE -c 'luafile Scripts/editors/test-plansearch.lua'
-- Exits 0 when the real search put the expected file and line (and the copy's) in the quickfix list and :cc 1
-- jumped there, a fake daemon's slow answer to an earlier search did not replace a later one's,
-- and a missing socket was reported promptly; otherwise exits 1 with a message.
local dir = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
package.path = dir .. '?.lua;' .. package.path
local plansearch = require('plansearch')
local messages = {}
vim.notify = function(msg) table.insert(messages, msg) end

local function fail(why)
  io.stderr:write('FAIL: ' .. why .. '\n')
  vim.cmd('cquit 1')
end

local expect_file, expect_line = vim.env.PLANSEARCH_EXPECT_FILE, tonumber(vim.env.PLANSEARCH_EXPECT_LINE)
plansearch.setup({ socket = vim.env.PLANSEARCH_SOCKET })
vim.cmd('PlanSearch ' .. vim.env.PLANSEARCH_QUERY)
local ok = vim.wait(10000, function() return #vim.fn.getqflist() > 0 end, 20)
if not ok then return fail('no quickfix entries; messages: ' .. table.concat(messages, ' | ')) end
local found = false
for _, item in ipairs(vim.fn.getqflist()) do
  if vim.fn.bufname(item.bufnr) == expect_file and item.lnum == expect_line then found = true end
end
if not found then return fail('no entry for ' .. expect_file .. ':' .. expect_line) end
-- A copy of the hit elsewhere, when the test names one ("FILE:LINE"), is an entry of its own.
local copy = vim.env.PLANSEARCH_EXPECT_COPY
if copy and copy ~= '' then
  local has_copy = false
  for _, item in ipairs(vim.fn.getqflist()) do
    if vim.fn.bufname(item.bufnr) .. ':' .. item.lnum == copy and item.text:find('same text as above', 1, true) then has_copy = true end
  end
  if not has_copy then return fail('no entry for the copy ' .. copy) end
end
vim.cmd('cc 1')
if vim.fn.expand('%:p') ~= expect_file or vim.fn.line('.') ~= expect_line then
  return fail(':cc 1 went to ' .. vim.fn.expand('%:p') .. ':' .. vim.fn.line('.'))
end

-- A word the plans lack: no hits, and the message says which word.
messages = {}
plansearch.search('zzqqxx')
if not vim.wait(10000, function() return #messages > 0 end, 20) then return fail('no message for a word the plans lack') end
if not messages[1]:find('not in the plans', 1, true) then return fail('unexpected message: ' .. messages[1]) end

-- A method without params: sent without them (an empty table would encode as []).
local docs
plansearch.request('documents', {}, function(result) docs = result.documents end)
if not vim.wait(10000, function() return docs ~= nil end, 20) then return fail('documents: no answer; messages: ' .. table.concat(messages, ' | ')) end

-- A visual selection ending on a Chinese character sends the whole character.
local sent
local request = plansearch.request
plansearch.request = function(method, params, on_result) sent = params.query end
vim.cmd('enew')
vim.api.nvim_buf_set_lines(0, 0, -1, false, { '国际贸易中心协助妇女' })
vim.cmd('normal! 0vlll\27')  -- 国际贸易, ending on a 3-byte character
vim.cmd("'<,'>PlanSearch")
plansearch.request = request
if sent ~= '国际贸易' then return fail('the selection was sent as ' .. vim.inspect(sent)) end

-- A slow answer to an earlier search does not replace the answer to a later one: a fake daemon
-- answers 'slow' after 300 ms and 'fast' at once.
local fake = vim.fn.tempname() .. '.sock'
local server = vim.loop.new_pipe(false)
server:bind(fake)
server:listen(8, function()
  local client = vim.loop.new_pipe(false)
  server:accept(client)
  client:read_start(function(_, chunk)
    if not chunk then return client:close() end
    local query = chunk:match('"query":"(%a+)"')
    local timer = vim.loop.new_timer()
    timer:start(query == 'slow' and 300 or 0, 0, function()
      timer:close()
      if not client:is_closing() then
        client:write('{"id":1,"result":{"exact":true,"hits":[],"missing":[],"suggestions":{},"total":0}}\n')
      end
    end)
  end)
end)
plansearch.setup({ socket = fake })
local function title() return vim.fn.getqflist({ title = 1 }).title end
plansearch.search('slow')
plansearch.search('fast')
if not vim.wait(3000, function() return title():find('fast', 1, true) ~= nil end, 20) then
  return fail('no answer to the later search; title: ' .. title())
end
vim.wait(600)
server:close()
os.remove(fake)
if not title():find('fast', 1, true) then return fail('the earlier search\'s answer replaced the later one\'s: ' .. title()) end

-- No daemon: an error, promptly, not a hang; also with the default socket (worked out from the
-- environment, which the connect callback may not read).
for _, socket in ipairs({ '/nonexistent/plansearch.sock', false }) do
  messages = {}
  if socket then
    plansearch.setup({ socket = socket })
  else
    plansearch.setup({ socket = false })  -- (nil would leave the last socket in place)
    vim.env.PLANSEARCH_SOCKET = nil
    vim.env.XDG_RUNTIME_DIR = '/nonexistent-runtime'
  end
  plansearch.search('妇女')
  if not vim.wait(3000, function() return #messages > 0 end, 20) then return fail('no error without a daemon') end
  if not messages[1]:find('no daemon', 1, true) then return fail('unexpected message: ' .. messages[1]) end
end
vim.cmd('qall!')
