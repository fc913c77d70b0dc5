package store

// Match reports whether s matches the glob pattern with the semantics of
// Redis's stringmatchlen (* ? [abc] [^a] [a-z] \x, nocase folding ASCII).
// It is iterative (backtracking only to the last '*'), so it runs in
// O(len(pattern)*len(s)) and cannot overflow the stack. As in KEYS and SCAN,
// the pattern "*" matches every key, the empty one included.
//
// Redis's matcher recurses once per run of '*' and, since its fix for
// CVE-2022-36021, gives up (no match) past 1000 nested runs. Every run but
// a trailing one is entered on the way to a match, so the same answer is:
// no match when the pattern has more than maxStarNesting runs of '*'
// before its end.
func Match(pattern, s []byte, nocase bool) bool {
	if len(s) == 0 {
		return len(pattern) == 0 || len(pattern) == 1 && pattern[0] == '*'
	}
	if innerStarRuns(pattern) > maxStarNesting {
		return false
	}
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
			starP, starI = p, i
			continue
		}
		if p < len(pattern) {
			if next, ok := matchOne(pattern, p, s[i], nocase); ok {
				p, i = next, i+1
				continue
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

// maxStarNesting is Redis's limit on nested '*' in stringmatchlen.
const maxStarNesting = 1000

// innerStarRuns counts the runs of '*' in pattern that are not at its end;
// an escaped '*' and one inside a [...] class are not runs, as in Redis.
func innerStarRuns(pat []byte) int {
	n := 0
	for p := 0; p < len(pat); p++ {
		switch pat[p] {
		case '\\':
			p++
		case '[':
			for p++; p < len(pat) && pat[p] != ']'; p++ {
				if pat[p] == '\\' {
					p++
				}
			}
		case '*':
			for p+1 < len(pat) && pat[p+1] == '*' {
				p++
			}
			if p+1 < len(pat) {
				n++
			}
		}
	}
	return n
}

// matchOne matches the pattern token at p against c and returns the index
// after the token.
func matchOne(pat []byte, p int, c byte, nocase bool) (int, bool) {
	switch pat[p] {
	case '?':
		return p + 1, true
	case '[':
		return matchClass(pat, p+1, c, nocase)
	case '\\':
		if p+1 < len(pat) {
			p++
		}
	}
	return p + 1, eqByte(pat[p], c, nocase)
}

// matchClass matches a [...] class starting after '['; an unterminated
// class runs to the end of the pattern, as in Redis.
func matchClass(pat []byte, p int, c byte, nocase bool) (int, bool) {
	not := p < len(pat) && pat[p] == '^'
	if not {
		p++
	}
	match := false
	for ; p < len(pat); p++ {
		switch {
		case pat[p] == '\\' && p+1 < len(pat):
			p++
			if pat[p] == c {
				match = true
			}
		case pat[p] == ']':
			return p + 1, match != not
		case p+2 < len(pat) && pat[p+1] == '-':
			lo, hi, x := pat[p], pat[p+2], c
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, x = lower(lo), lower(hi), lower(x)
			}
			if lo <= x && x <= hi {
				match = true
			}
			p += 2
		default:
			if eqByte(pat[p], c, nocase) {
				match = true
			}
		}
	}
	return p, match != not
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func eqByte(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}
