-- wrk script of the `soak` mode (SoakWire.cs), which writes `clients` (id, token, ETag of hello.txt) and `announce_every`
-- above this: the same clients over and over, 8 of 10 item requests with the validator (304), 2 of 10 without (200),
-- and, when announce_every > 0, one request in announce_every announces a new client (the store then grows with it).
counter = 0
math.randomseed(os.time())
prefix = "soak-new-" .. math.random(1, 1000000000) .. "-"
request = function()
  counter = counter + 1
  if announce_every > 0 and counter % announce_every == 0 then
    return wrk.format("POST", "/api/sessions", {["Content-Type"] = "application/json"}, '{"clientId":"' .. prefix .. counter .. '"}')
  end
  local c = clients[(counter % #clients) + 1]
  local h = {["Authorization"] = "Bearer " .. c[2]}
  if counter % 5 ~= 0 then h["If-None-Match"] = c[3] end
  return wrk.format("GET", "/api/clients/" .. c[1] .. "/items/hello.txt", h)
end
