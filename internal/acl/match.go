package acl

// Match reports whether s matches the glob pattern as Redis's stringmatch
// does: '*' any run, '?' one byte, "[abc]", "[^a-z]" (ranges either way
// round), and '\' quoting the next byte. It is iterative and takes
// O(len(pattern)·len(s)) time at worst.
func Match(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if ok, next := matchClass(pattern, p, s[i]); ok {
					p, i = next, i+1
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == s[i] {
						p, i = p+2, i+1
						continue
					}
					break
				}
				fallthrough
			default:
				if pattern[p] == s[i] {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches ch against the class starting at pattern[p] == '['
// and returns the index after the class. An unterminated class runs to
// the end of the pattern, as in Redis.
func matchClass(pattern string, p int, ch byte) (bool, int) {
	p++
	not := p < len(pattern) && pattern[p] == '^'
	if not {
		p++
	}
	match := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			match = match || pattern[p] == ch
		case p+2 < len(pattern) && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			match = match || lo <= ch && ch <= hi
			p += 2
		default:
			match = match || pattern[p] == ch
		}
		p++
	}
	if p < len(pattern) {
		p++ // the ']'
	}
	return match != not, p
}
