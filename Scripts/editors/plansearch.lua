-- PlanSearch for Neovim: :PlanSearch QUERY asks the running daemon (plansearch serve) over its
-- Unix socket and puts the hits in the quickfix list, so :cnext / :cc jump to the source lines.
-- Asynchronous (vim.loop): the editor never waits for the daemon.
--
--   require('plansearch').setup({ socket = nil, limit = 50 })
--   :PlanSearch 国贸中心 妇女        :PlanSearch "可持续发展目标"        :PlanSearchWord
local M = {}

local config = { socket = nil, limit = 50, timeout_ms = 10000 }

-- The same rule as the daemon: $XDG_RUNTIME_DIR/plansearch/plansearch.sock, else the cache dir.
local function default_socket()
  local runtime = vim.env.XDG_RUNTIME_DIR
  if runtime and runtime ~= '' then return runtime .. '/plansearch/plansearch.sock' end
  local cache = vim.env.XDG_CACHE_HOME
  if not cache or cache == '' then cache = vim.env.HOME .. '/.cache' end
  return cache .. '/plansearch/plansearch.sock'
end

local function socket_path() return config.socket or vim.env.PLANSEARCH_SOCKET or default_socket() end

local encode = (vim.json and vim.json.encode) or vim.fn.json_encode
local decode = (vim.json and vim.json.decode) or vim.fn.json_decode

local function notify_error(message)
  vim.schedule(function() vim.notify('PlanSearch: ' .. message, vim.log.levels.ERROR) end)
end

-- Quickfix entries from a search result.
local function quickfix_items(result)
  local items = {}
  for _, hit in ipairs(result.hits or {}) do
    local heading = hit.heading and hit.heading[#hit.heading] or ''
    local para = hit.para and (' ¶' .. hit.para) or ''
    local snippet = (hit.snippet or ''):gsub('\n', ' ')
    -- A hit that fills a short page lacks some of the words: say which.
    local lacks = (hit.missing and #hit.missing > 0) and (' [lacks ' .. table.concat(hit.missing, ', ') .. ']') or ''
    table.insert(items, { filename = hit.file, lnum = hit.line, col = 1, text = heading .. para .. lacks .. ' — ' .. snippet })
    -- The same text elsewhere (the ITC plan repeats the UN plan's paragraphs): an entry per
    -- copy, so :cnext reaches each place.
    for _, copy in ipairs(hit.copies or {}) do
      table.insert(items, { filename = copy.file, lnum = copy.line, col = 1, text = '  same text as above' })
    end
  end
  return items
end

-- Sends one request; calls on_result(result) or reports an error. Returns at once, with a
-- function that cancels the request (closes the connection; nothing more is reported).
function M.request(method, params, on_result)
  -- Worked out here: the callbacks below run in libuv's fast context, where reading the
  -- environment (vim.env) is an error (E5560).
  local path = socket_path()
  local pipe = vim.loop.new_pipe(false)
  -- The chunks of the answer; only each new one is searched for the newline (appending each
  -- to the whole and searching that again is quadratic in a long answer).
  local chunks = {}
  local done, cancelled = false, false
  local timer = vim.loop.new_timer()
  local function finish()
    if done then return end
    done = true
    timer:stop(); timer:close()
    if not pipe:is_closing() then pipe:close() end
  end
  timer:start(config.timeout_ms, 0, function()
    if not done then finish(); notify_error('no answer from the daemon within ' .. config.timeout_ms .. ' ms') end
  end)
  pipe:connect(path, function(err)
    if done then return end  -- cancelled or timed out (closing the pipe reports ECANCELED here)
    if err then
      finish()
      notify_error('no daemon at ' .. path .. ' (' .. err .. '); start one with: plansearch serve --db DIR PLANS...')
      return
    end
    pipe:read_start(function(read_err, chunk)
      if read_err or not chunk then
        if not done then finish(); notify_error('the daemon closed the connection') end
        return
      end
      local newline = chunk:find('\n', 1, true)
      table.insert(chunks, newline and chunk:sub(1, newline - 1) or chunk)
      if not newline then return end
      local line = table.concat(chunks)
      finish()
      vim.schedule(function()
        if cancelled then return end  -- an answer read before, but handled after, the cancel
        local ok, response = pcall(decode, line)
        if not ok or type(response) ~= 'table' then return notify_error('unreadable answer from the daemon') end
        if response.error then return notify_error(response.error.code .. ': ' .. response.error.message) end
        on_result(response.result)
      end)
    end)
    -- An empty Lua table encodes as [], which is not an object: leave params out instead.
    local body = { id = 1, method = method }
    if params and next(params) ~= nil then body.params = params end
    pipe:write(encode(body) .. '\n')
  end)
  return function() cancelled = true; finish() end
end

-- Cancels the search under way: a new search supersedes it, and its answer, however late, must
-- not replace the new one's.
local cancel_search

-- Searches and fills the quickfix list.
function M.search(query)
  if not query or query == '' then return vim.notify('PlanSearch: empty query', vim.log.levels.WARN) end
  if cancel_search then cancel_search() end
  cancel_search = M.request('search', { query = query, limit = config.limit }, function(result)
    -- `total` counts complete matches only: hits filling a short page are counted apart.
    local partial = 0
    for _, hit in ipairs(result.hits or {}) do
      if hit.missing ~= nil and hit.missing ~= vim.NIL then partial = partial + 1 end
    end
    local title = 'PlanSearch: ' .. query .. ' (' .. (#(result.hits or {}) - partial) .. ' of about ' .. tostring(result.total)
      .. (partial > 0 and (', then ' .. partial .. ' lacking a word') or '') .. ')'
    local hits = #(result.hits or {})
    if result.missing and #result.missing > 0 then
      if hits == 0 then
        title = title .. ' — not in the plans: ' .. table.concat(result.missing, ', ')
      elseif result.exact == false then
        title = title .. ' — not found together: ' .. table.concat(result.missing, ', ')
      end
    end
    for word, close in pairs(result.suggestions or {}) do
      title = title .. ' (' .. word .. ': did you mean ' .. table.concat(close, ', ') .. '?)'
    end
    if result.partial then title = title .. ' — some shards did not answer' end
    vim.fn.setqflist({}, ' ', { title = title, items = quickfix_items(result) })
    if hits > 0 then vim.cmd('copen') else vim.notify(title .. ': no hits') end
  end)
end

local function visual_selection()
  local s, e = vim.fn.getpos("'<"), vim.fn.getpos("'>")
  local lines = vim.fn.getline(s[2], e[2])
  if #lines == 0 then return '' end
  -- '> is the first byte of the last character: keep the whole character (3 bytes for 中).
  local last, stop = lines[#lines], e[3]
  local b = last:byte(stop)
  if b then stop = stop + ((b >= 0xF0 and 3) or (b >= 0xE0 and 2) or (b >= 0xC0 and 1) or 0) end
  lines[#lines] = last:sub(1, stop)
  lines[1] = lines[1]:sub(s[3])
  return table.concat(lines, ' ')
end

function M.setup(opts)
  config = vim.tbl_extend('force', config, opts or {})
  vim.api.nvim_create_user_command('PlanSearch', function(args)
    local query = args.args
    if query == '' then query = args.range > 0 and visual_selection() or vim.fn.expand('<cword>') end
    M.search(query)
  end, { nargs = '*', range = true, desc = 'Search plans through the PlanSearch daemon' })
  vim.api.nvim_create_user_command('PlanSearchWord', function() M.search(vim.fn.expand('<cword>')) end,
    { desc = 'PlanSearch the word under the cursor' })
end

return M
