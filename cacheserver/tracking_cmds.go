package cacheserver

import (
	"sort"
	"strconv"
	"strings"
)

// CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR, with Redis 7's
// option checks and error texts (compared with redis-server in
// tracking_diff_test.go). They are registered in clientSubcommands.

// clientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...]
// [BCAST] [OPTIN] [OPTOUT] [NOLOOP].
func clientTracking(c *conn, args [][]byte) {
	o, ok := c.parseTrackOpts(args[3:])
	if !ok {
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
		if msg := c.checkTrackOpts(o); msg != "" {
			c.replyErrString(msg)
			return
		}
		c.activatePush()
		c.srv.track.enable(c, o)
	case "off":
		c.srv.track.disable(c)
	default:
		c.replyErrString(syntaxErr)
		return
	}
	c.w.WriteSimple("OK")
}

// parseTrackOpts parses the options after ON|OFF, replying on error.
func (c *conn) parseTrackOpts(args [][]byte) (trackOpts, bool) {
	var o trackOpts
	for i := 0; i < len(args); i++ {
		more := i+1 < len(args)
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "redirect" && more:
			i++
			if !c.parseRedirect(&o, args[i]) {
				return o, false
			}
		case opt == "bcast":
			o.bcast = true
		case opt == "optin":
			o.optin = true
		case opt == "optout":
			o.optout = true
		case opt == "noloop":
			o.noloop = true
		case opt == "prefix" && more:
			i++
			o.prefixes = append(o.prefixes, string(args[i]))
		default:
			c.replyErrString(syntaxErr)
			return o, false
		}
	}
	return o, true
}

func (c *conn) parseRedirect(o *trackOpts, arg []byte) bool {
	if o.redirect != 0 {
		c.replyErrString("ERR A client can only redirect to a single other client")
		return false
	}
	id, err := strconv.ParseInt(string(arg), 10, 64)
	if err != nil {
		c.replyErrString(notIntegerErr)
		return false
	}
	for _, t := range c.srv.connList() {
		if t.id == id {
			o.redirect, o.target = id, t
			return true
		}
	}
	c.replyErrString("ERR The client ID you want redirect to does not exist")
	return false
}

// checkTrackOpts returns Redis's error for options that do not go together
// or with the current mode, "" when they are fine.
func (c *conn) checkTrackOpts(o trackOpts) string {
	s := &c.push.trk
	switch {
	case !o.bcast && len(o.prefixes) > 0:
		return "ERR PREFIX option requires BCAST mode to be enabled"
	case s.on && s.bcast != o.bcast:
		return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, " +
			"and then re-enabling it with a different mode."
	case o.bcast && (o.optin || o.optout):
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	case o.optin && o.optout:
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	case o.optin && s.optout || o.optout && s.optin:
		return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " +
			"and then re-enabling it with a different mode."
	case o.bcast:
		return prefixCollision(s.prefixes, o.prefixes)
	}
	return ""
}

// prefixCollision returns Redis's error when a new prefix overlaps (one is a
// prefix of the other) an existing one or another new one.
func prefixCollision(existing, added []string) string {
	const tail = ". Prefixes for a single client must not overlap."
	for i, p := range added {
		for _, e := range existing {
			if overlaps(e, p) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + e + "'" + tail
			}
		}
		for _, q := range added[i+1:] {
			if overlaps(p, q) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'" + tail
			}
		}
	}
	return ""
}

func overlaps(a, b string) bool {
	n := min(len(a), len(b))
	return a[:n] == b[:n]
}

// clientCaching is CLIENT CACHING YES|NO: whether the next command's reads
// are tracked (OPTIN: YES tracks; OPTOUT: NO does not).
func clientCaching(c *conn, args [][]byte) {
	s := &c.push.trk
	if !s.on {
		c.replyErrString("ERR CLIENT CACHING can be called only when the client is in tracking mode " +
			"with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !s.optin {
			c.replyErrString("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if !s.optout {
			c.replyErrString("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.replyErrString(syntaxErr)
		return
	}
	s.caching = true
	c.w.WriteSimple("OK")
}

// clientTrackingInfo is CLIENT TRACKINGINFO: a map of flags (a set),
// redirect (-1 when off, 0 when not redirecting) and prefixes (sorted).
func clientTrackingInfo(c *conn, _ [][]byte) {
	t := c.srv.track
	t.mu.Lock()
	s := c.push.trk
	prefixes := append([]string(nil), s.prefixes...)
	t.mu.Unlock()
	flags := trackingFlags(&s)
	c.w.WriteMap(3)
	c.w.WriteBulkString("flags")
	c.w.WriteSet(len(flags))
	for _, f := range flags {
		c.w.WriteBulkString(f)
	}
	c.w.WriteBulkString("redirect")
	c.w.WriteInt(redirectOf(&s))
	c.w.WriteBulkString("prefixes")
	sort.Strings(prefixes)
	c.w.WriteArray(len(prefixes))
	for _, p := range prefixes {
		c.w.WriteBulkString(p)
	}
}

func trackingFlags(s *trackState) []string {
	if !s.on {
		return []string{"off"}
	}
	flags := []string{"on"}
	add := func(cond bool, f string) {
		if cond {
			flags = append(flags, f)
		}
	}
	add(s.bcast, "bcast")
	add(s.optin, "optin")
	add(s.optin && s.caching, "caching-yes")
	add(s.optout, "optout")
	add(s.optout && s.caching, "caching-no")
	add(s.noloop, "noloop")
	add(s.broken, "broken_redirect")
	return flags
}

func redirectOf(s *trackState) int64 {
	if !s.on {
		return -1
	}
	return s.redirect
}

// clientGetRedir is CLIENT GETREDIR: the redirect id, 0 when tracking
// without redirect, -1 when not tracking.
func clientGetRedir(c *conn, _ [][]byte) {
	t := c.srv.track
	t.mu.Lock()
	id := redirectOf(&c.push.trk)
	t.mu.Unlock()
	c.w.WriteInt(id)
}
