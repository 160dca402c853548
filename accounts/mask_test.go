package accounts

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, c := range []struct{ in, name, phone, addr string }{
		{"", "", "", ""},
		{"Zhang Wei", "Z*** W***", "", "(hidden)"},
		{"gate 2, Li Na 13800138000", "g*** *, L*** N*** ***********", "**********00", "(hidden)"},
		{"张伟", "张***", "", "(hidden)"},
		{"+86 138-0013-8000", "+** ***-****-****", "***********00", "(hidden)"},
	} {
		if got := MaskName(c.in); got != c.name {
			t.Errorf("MaskName(%q) = %q, want %q", c.in, got, c.name)
		}
		if got := MaskPhone(c.in); c.phone != "" && got != c.phone {
			t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.phone)
		}
		if got := MaskAddress(c.in); got != c.addr {
			t.Errorf("MaskAddress(%q) = %q, want %q", c.in, got, c.addr)
		}
	}
	for _, r := range Roles {
		m := Masker(r)
		got := m.Text("Li Na 13800138000")
		if r.SeesPersonalData() != (got == "Li Na 13800138000") {
			t.Errorf("role %s: Text gives %q", r, got)
		}
		if m.Hides() && (strings.Contains(got, "Na") || strings.Contains(got, "138")) {
			t.Errorf("role %s: mask leaks: %q", r, got)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || h == HashPassword("correct horse") {
		t.Fatalf("hash %q (salted hashes must differ)", h)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsf": false, "": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if ok, _ := CheckPassword("", ""); ok {
		t.Error("an empty hash matched")
	}
	for _, bad := range []string{"x", "$argon2id$v=19$m=0,t=1,p=1$AA$AA", "$bcrypt$..", "$argon2id$v=19$m=65536,t=3,p=2$!!$AA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword accepted hash %q", bad)
		}
	}
	if CheckPasswordPolicy("short") == nil || CheckPasswordPolicy("long enough") != nil {
		t.Error("password policy")
	}
}
