package ring

// SlotCount is the number of Redis Cluster hash slots.
const SlotCount = 16384

// crc16tab is the CRC16/XMODEM table (polynomial 0x1021), as in Redis's crc16.c.
var crc16tab = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^s[i]]
	}
	return crc
}

// HashTag returns the part of key that Redis Cluster hashes: the content of
// the first {...} pair when it is non-empty, otherwise the whole key.
func HashTag(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j == i+1 {
					return key // "{}" : hash the whole key
				}
				return key[i+1 : j]
			}
		}
		return key // no closing brace
	}
	return key
}

// KeySlot returns the Redis Cluster hash slot of key: CRC16/XMODEM of its
// hash tag, modulo 16384. It does not allocate.
func KeySlot(key string) int {
	return int(crc16(HashTag(key)) & (SlotCount - 1))
}

// KeySlotBytes is KeySlot for a byte slice key; it does not allocate.
func KeySlotBytes(key []byte) int {
	return KeySlot(unsafeString(key))
}
