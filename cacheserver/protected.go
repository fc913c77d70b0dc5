package cacheserver

import (
	"errors"
	"net"
	"time"
)

// Protected mode, as Redis 7.0: while it is on and the default user has no
// password, clients from anywhere but the loopback interface are answered
// protectedModeErr and closed at once. A node that authenticates peers (a
// cluster secret or gossip keys) still lets a non-loopback connection
// prove itself a peer (RINGCACHE CHALLENGE/PEER): such a connection is
// accepted unauthenticated and gets protectedModeErr, then is closed, on
// its first command that is not allowed before AUTH.

// protectedModeErr is Redis 7.0.15's text, word for word.
const protectedModeErr = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// protectedVerdict is what protected mode decides for a new connection.
type protectedVerdict int

const (
	protectedAllow    protectedVerdict = iota
	protectedDeny                      // answer DENIED and close now
	protectedPeerOnly                  // only peer authentication may follow
)

// protectedCheck decides for a client at remote.
func (s *Server) protectedCheck(remote net.Addr) protectedVerdict {
	if !s.live.protectedMode.Load() || !s.acl.def.cur.Load().NoPass() || isLoopback(remote) {
		return protectedAllow
	}
	if keys, _ := s.peerKeys(); len(keys) > 0 {
		return protectedPeerOnly
	}
	return protectedDeny
}

// deny answers protected mode's error and closes nc.
func (s *Server) deny(nc net.Conn) {
	s.stats.rejected.Add(1)
	_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = nc.Write([]byte("-" + protectedModeErr + "\r\n"))
	nc.Close()
}

// rejectUnauthed answers a command sent before authentication: NOAUTH, or
// DENIED and a close on a connection protected mode let in for peers only.
func (c *conn) rejectUnauthed() {
	if c.protectedOnly {
		c.srv.stats.rejected.Add(1)
		c.reject(protectedModeErr)
		c.closeNow = true
		return
	}
	c.reject(noAuthErr)
}

func parseYesNo(v string) (bool, error) {
	switch v {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, errors.New("argument must be 'yes' or 'no'")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
