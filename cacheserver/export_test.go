package cacheserver

// PauseRingUpdates stops (or resumes) applying member events on s, so
// tests can make two nodes disagree about the ring.
func PauseRingUpdates(s *Server, paused bool) { s.clusterState().cl.SetPaused(paused) }
