package schema

import "strings"

// LatestVersion is the newest project.yaml format version (5).
const LatestVersion = 5

// PrivacyLevels lists the keys allowed under `outputs`, in the order the
// pipeline library lists them.
var PrivacyLevels = []string{"highly_sensitive", "moderately_sensitive", "minimally_sensitive"}

// Level4Extensions are the file extensions allowed for moderately_sensitive
// outputs, with their leading dot. Only the last suffix of a path counts
// (so "x.csv.gz" is a ".gz" file) and the comparison is case-sensitive.
// PDF and TSV files used to be allowed but no longer are.
var Level4Extensions = []string{
	".csv",
	".jpg",
	".jpeg",
	".png",
	".svg",
	".svgz",
	".html",
	".txt",
	".log",
	".json",
	".md",
}

// IsLevel4Extension reports whether ext, written with or without its
// leading dot (".csv" or "csv"), may be released as a moderately_sensitive
// output. Like the pipeline library it is case-sensitive: ".PNG" is not
// allowed.
func IsLevel4Extension(ext string) bool {
	if ext == "" {
		return false
	}
	if !strings.HasPrefix(ext, ".") {
		ext = "." + ext
	}
	for _, e := range Level4Extensions {
		if e == ext {
			return true
		}
	}
	return false
}

// IsPrivacyLevel reports whether key is one of [PrivacyLevels].
func IsPrivacyLevel(key string) bool {
	for _, l := range PrivacyLevels {
		if l == key {
			return true
		}
	}
	return false
}
