package cacheserver

// PauseRingUpdates stops (or resumes) applying member events on s, so
// tests can make two nodes disagree about the ring.
func PauseRingUpdates(s *Server, paused bool) { s.cs.Load().cl.SetPaused(paused) }
