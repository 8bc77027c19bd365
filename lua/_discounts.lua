-- _discounts: an event's discount codes in one hash (included by the hold scripts).
--
-- The hash {ev:<id>}:discounts holds, per code, '<CODE>:kind' ('percent' or 'amount'),
-- '<CODE>:value' (percent off, or minor units off the order), '<CODE>:max' (uses allowed),
-- '<CODE>:used' (uses taken), '<CODE>:section' and '<CODE>:phase' (its scope; '' = any) and
-- '<CODE>:off' ('1' once disabled). A hold that carries a code took one use: its record
-- names the code in `discount`. A hold that ends without a sale gives the use back; a
-- sold one keeps it.

-- The use of the code a hold named goes back (released, expired, abandoned checkout).
-- Never below zero: after a reload of the codes a count of 0 would otherwise go negative
-- and lend the code uses it does not have.
local function discount_give_back(discounts_key, code)
  if not code or code == '' or not discounts_key then
    return
  end
  if tonumber(redis.call('HINCRBY', discounts_key, code .. ':used', -1)) < 0 then
    redis.call('HSET', discounts_key, code .. ':used', 0)
  end
end

