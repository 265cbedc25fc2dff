-- Runs a counts program (Bitmapist.Linq.Execution.CountsProgram) inside Redis: a whole cohort table
-- in one call, atomic like MULTI/EXEC, but the server decides as it goes which steps it can skip.
--
-- KEYS: every key the program names, stored keys first, then its temporaries.
-- ARGV[1]: the index in KEYS of the first temporary (#KEYS + 1 when there is none).
-- ARGV[2..]: the instructions, each an opcode and its operands; k, t and s are indexes into KEYS.
--   C k              BITCOUNT KEYS[k], appended to the reply
--   B op t n s1..sn  BITOP op KEYS[t] KEYS[s1] .. KEYS[sn]   (op: AND, OR, XOR, DIFF, ANDOR)
--   S t bytes        SET KEYS[t] bytes                         (a literal set of ids)
-- Reply: one integer per C, in order. Every temporary is deleted at the end, after an error too.
--
-- Why a script: a key counted as 0 is empty for the rest of the call (nothing else runs meanwhile),
-- and so is an AND that contains it (or contains every key of an AND counted as 0), an OR or XOR of
-- only such sets, a DIFF whose head is one, an ANDOR with such a head or such a rest; an OR or XOR
-- leaves its empty sources out. Cells whose cohort or return period is empty (every future
-- day of a table) then cost neither a BITOP nor a BITCOUNT, which a queued MULTI/EXEC cannot know
-- before it runs. Redis reads a missing key as empty, so skipping changes no count.

local firstTemp = tonumber(ARGV[1])
local counts = {}
local empty = {}      -- key index -> true: holds no member right now
local andOf = {}      -- temporary -> the stored keys it is the AND of (while it holds that AND)
local emptyAnds = {}  -- first key -> lists of stored keys whose AND is known to be empty

-- True when the sources contain every key of an AND already known to be empty. The known empty ANDs
-- are filed under their first key, so a step looks only at those that could apply to it.
local function coversEmptyAnd(sources)
  if next(emptyAnds) == nil then return false end
  local has
  for _, first in ipairs(sources) do
    local sets = emptyAnds[first]
    if sets then
      if not has then
        has = {}
        for _, s in ipairs(sources) do has[s] = true end
      end
      for _, set in ipairs(sets) do
        local all = true
        for j = 2, #set do
          if not has[set[j]] then all = false; break end
        end
        if all then return true end
      end
    end
  end
  return false
end

local function anyEmpty(sources)
  for j = 1, #sources do
    if empty[sources[j]] then return true end
  end
  return false
end

-- The sources from index `from` on that are not known to be empty.
local function nonEmpty(sources, from)
  local kept = {}
  for j = from, #sources do
    if not empty[sources[j]] then kept[#kept + 1] = sources[j] end
  end
  return kept
end

local function skip(t)
  empty[t] = true
  andOf[t] = nil
end

local function bitop(op, t, sources)
  local names = {}
  for j = 1, #sources do names[j] = KEYS[sources[j]] end
  redis.call('BITOP', op, KEYS[t], unpack(names))
  empty[t] = nil
  andOf[t] = nil
end

local function step(op, t, sources)
  if op == 'AND' then
    if anyEmpty(sources) or coversEmptyAnd(sources) then return skip(t) end
    bitop(op, t, sources)
    for j = 1, #sources do
      if sources[j] >= firstTemp then return end
    end
    andOf[t] = sources
  elseif op == 'OR' or op == 'XOR' then
    local kept = nonEmpty(sources, 1)
    if #kept == 0 then return skip(t) end
    bitop(op, t, kept)
  else -- DIFF and ANDOR (Redis 8.2): the head minus, or within, the union of the rest
    if empty[sources[1]] then return skip(t) end
    if op == 'ANDOR' and #nonEmpty(sources, 2) == 0 then return skip(t) end
    bitop(op, t, sources)
  end
end

local function run()
  local i = 2
  while i <= #ARGV do
    local code = ARGV[i]
    if code == 'C' then
      local k = tonumber(ARGV[i + 1])
      local n = 0
      if not empty[k] then n = redis.call('BITCOUNT', KEYS[k]) end
      if n == 0 then
        empty[k] = true
        local set = andOf[k]
        if set then
          local sets = emptyAnds[set[1]] or {}
          sets[#sets + 1] = set
          emptyAnds[set[1]] = sets
        end
      end
      counts[#counts + 1] = n
      i = i + 2
    elseif code == 'B' then
      local n = tonumber(ARGV[i + 3])
      local sources = {}
      for j = 1, n do sources[j] = tonumber(ARGV[i + 3 + j]) end
      step(ARGV[i + 1], tonumber(ARGV[i + 2]), sources)
      i = i + 4 + n
    elseif code == 'S' then
      local t = tonumber(ARGV[i + 1])
      redis.call('SET', KEYS[t], ARGV[i + 2])
      empty[t] = nil
      andOf[t] = nil
      i = i + 3
    else
      error('unknown instruction ' .. tostring(code) .. ' at argument ' .. i)
    end
  end
end

local ok, err = pcall(run)
if firstTemp <= #KEYS then redis.call('DEL', unpack(KEYS, firstTemp, #KEYS)) end
if not ok then
  return redis.error_reply(type(err) == 'table' and err.err or tostring(err))
end
return counts
