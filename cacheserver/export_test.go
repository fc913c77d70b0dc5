package cacheserver

// PauseRingUpdates stops (or resumes) applying member events on s, so
// tests can make two nodes disagree about the ring.
func PauseRingUpdates(s *Server, paused bool) { s.cs.Load().cl.SetPaused(paused) }

// SetTestHookLocal makes s call hook (nil: none) with a command's
// arguments just before a command routed here runs.
func SetTestHookLocal(s *Server, hook func(args [][]byte)) {
	if hook == nil {
		s.testHookLocal.Store(nil)
		return
	}
	s.testHookLocal.Store(&hook)
}
