-- Runs a counts program (Bitmapist.Linq.Execution.CountsProgram) inside Redis: a whole cohort table
-- in one call, atomic like MULTI/EXEC, but the server decides as it goes which steps it can skip.
--
-- KEYS: every key the program names, stored keys first, then its temporaries.
-- ARGV[1]: the program, a MessagePack array of non-negative integers (decoded in C by cmsgpack: far
--   cheaper than tonumber on thousands of arguments, which costs about 0.25 us each in Redis' Lua):
--   P[1] is the index in KEYS of the first temporary (#KEYS + 1 when there is none), then the
--   instructions, each an opcode and its operands; k, t and s are indexes into KEYS:
--     1 k                 BITCOUNT KEYS[k], appended to the reply
--     2 op t n s1 .. sn   BITOP op KEYS[t] KEYS[s1] .. KEYS[sn]   (op: 1 AND, 2 OR, 3 XOR, 4 DIFF, 5 ANDOR)
--     3 t a               SET KEYS[t] ARGV[a]                      (a literal set of ids)
-- Reply: one integer per BITCOUNT instruction, in order. Every temporary is deleted at the end, after an
-- error too.
--
-- Why a script: a key counted as 0 is empty for the rest of the call (nothing else runs meanwhile),
-- and so is an AND that contains it (or contains every key of an AND counted as 0), an OR or XOR of
-- only such sets, a DIFF whose head is one, an ANDOR with such a head or such a rest; an OR or XOR
-- leaves its empty sources out, and so do DIFF and ANDOR after their head. Cells whose cohort or return
-- period is empty (every future day of a table) then cost neither a BITOP nor a BITCOUNT, which a queued
-- MULTI/EXEC cannot know before it runs. A skipped step writes nothing: its target keeps its old value,
-- and every later read of that key (a count or a source) goes through `empty` instead.
--
-- Globals are slow in Redis' Lua (each read goes through the protected global table), so everything
-- used in the loop is a local, and no table is made per step.

local call, unpack, K = redis.call, unpack, KEYS
local P = cmsgpack.unpack(ARGV[1])
local OPS = { 'AND', 'OR', 'XOR', 'DIFF', 'ANDOR' }
local firstTemp = P[1]
local counts, nCounts = {}, 0
local empty = {}      -- key index -> true: holds no member right now
local andAt = {}      -- temporary holding an AND of stored keys -> position in P of that AND's source count (its keys follow)
local emptyAnds = {}  -- first key -> positions (as in andAt) of ANDs known to be empty
local names = {}      -- scratch: the key names of one BITOP

-- True when the sources P[at + 1 .. at + n] contain every key of an AND known to be empty. The known
-- empty ANDs are filed under their first key, so a step looks only at those that could apply to it.
local function coversEmptyAnd(at, n)
  if next(emptyAnds) == nil then return false end
  for j = at + 1, at + n do
    local sets = emptyAnds[P[j]]
    if sets then
      for _, set in ipairs(sets) do
        local all = true
        for x = set + 2, set + P[set] do -- P[set] is n, then the keys; the first one matched already
          local found = false
          for y = at + 1, at + n do
            if P[y] == P[x] then found = true; break end
          end
          if not found then all = false; break end
        end
        if all then return true end
      end
    end
  end
  return false
end

-- BITOP op into KEYS[t] over the sources P[at + 1 .. at + n] that are not known to be empty. Never over
-- one that is: a skipped step leaves its target's old value in place, so a key marked empty may still
-- hold bits, and only this table says what it holds now. Callers make sure at least one source is live
-- (and, for DIFF and ANDOR, that the head is).
local function bitop(op, t, at, n)
  local m = 0
  for j = at + 1, at + n do
    local s = P[j]
    if not empty[s] then
      m = m + 1
      names[m] = K[s]
    end
  end
  if op == 'DIFF' and m == 1 then op = 'OR' end -- nothing left to take away: a copy of the head
  call('BITOP', op, K[t], unpack(names, 1, m))
  empty[t] = nil
  andAt[t] = nil
end

local function skip(t)
  empty[t] = true
  andAt[t] = nil
end

local function anyEmpty(from, to)
  for j = from, to do
    if empty[P[j]] then return true end
  end
  return false
end

local function anyLive(from, to)
  for j = from, to do
    if not empty[P[j]] then return true end
  end
  return false
end

-- One BITOP step; its sources are P[at + 1 .. at + n].
local function step(op, t, at, n)
  if op == 1 then -- AND
    if anyEmpty(at + 1, at + n) or coversEmptyAnd(at, n) then return skip(t) end
    bitop('AND', t, at, n)
    for j = at + 1, at + n do
      if P[j] >= firstTemp then return end
    end
    andAt[t] = at
  elseif op == 2 or op == 3 then -- OR, XOR: empty sources change nothing
    if not anyLive(at + 1, at + n) then return skip(t) end
    bitop(OPS[op], t, at, n)
  else -- DIFF, ANDOR (Redis 8.2): the head minus, or within, the union of the rest
    if empty[P[at + 1]] then return skip(t) end
    if op == 5 and not anyLive(at + 2, at + n) then return skip(t) end
    bitop(OPS[op], t, at, n)
  end
end

local function run()
  local i, last = 2, #P
  while i <= last do
    local code = P[i]
    if code == 1 then
      local k = P[i + 1]
      local n = 0
      if not empty[k] then n = call('BITCOUNT', K[k]) end
      if n == 0 then
        empty[k] = true
        local at = andAt[k]
        if at then
          -- Filed under its first key; P[at] is the source count n, so the list is P[at + 1 .. at + n].
          local first = P[at + 1]
          local sets = emptyAnds[first] or {}
          sets[#sets + 1] = at
          emptyAnds[first] = sets
          andAt[k] = nil -- filed once, even if counted again
        end
      end
      nCounts = nCounts + 1
      counts[nCounts] = n
      i = i + 2
    elseif code == 2 then
      local n = P[i + 3]
      step(P[i + 1], P[i + 2], i + 3, n)
      i = i + 4 + n
    elseif code == 3 then
      local t = P[i + 1]
      call('SET', K[t], ARGV[P[i + 2]])
      empty[t] = nil
      andAt[t] = nil
      i = i + 3
    else
      error('unknown instruction ' .. tostring(code) .. ' at position ' .. i)
    end
  end
end

local ok, err = pcall(run)
if firstTemp <= #K then call('DEL', unpack(K, firstTemp, #K)) end
if not ok then
  return redis.error_reply(type(err) == 'table' and err.err or tostring(err))
end
return counts
