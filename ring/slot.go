package ring

import "strings"

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

// crcSlice[k][x] is the CRC contribution of byte x followed by k zero bytes.
// The CRC is linear over XOR, so eight bytes advance the state with eight
// independent lookups instead of a chain of eight (slicing-by-8):
//
//	crc' = S7[crc>>8 ^ b0] ^ S6[crc&0xff ^ b1] ^ S5[b2] ^ ... ^ S0[b7]
var crcSlice = func() (t [8][256]uint16) {
	t[0] = crc16tab
	for k := 1; k < 8; k++ {
		for x := range 256 {
			v := t[k-1][x]
			t[k][x] = v<<8 ^ crc16tab[byte(v>>8)]
		}
	}
	return t
}()

func crc16(s string) uint16 {
	var crc uint16
	for len(s) >= 8 {
		crc = crcSlice[7][byte(crc>>8)^s[0]] ^ crcSlice[6][byte(crc)^s[1]] ^
			crcSlice[5][s[2]] ^ crcSlice[4][s[3]] ^ crcSlice[3][s[4]] ^
			crcSlice[2][s[5]] ^ crcSlice[1][s[6]] ^ crcSlice[0][s[7]]
		s = s[8:]
	}
	if len(s) >= 4 {
		crc = crcSlice[3][byte(crc>>8)^s[0]] ^ crcSlice[2][byte(crc)^s[1]] ^
			crcSlice[1][s[2]] ^ crcSlice[0][s[3]]
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^s[i]]
	}
	return crc
}

// HashTag returns the part of key that Redis Cluster hashes: the content of
// the first {...} pair when it is non-empty, otherwise the whole key.
func HashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 { // no closing brace, or "{}": hash the whole key
		return key
	}
	return key[i+1 : i+1+j]
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
