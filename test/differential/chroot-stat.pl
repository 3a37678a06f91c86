# stat(2) or lstat(2) of one path, run as root with the test's root directory as the process root:
# Node cannot chroot, and rejects an empty path before the syscall; perl (essential on Debian) does
# neither. Prints "MODE UID GID NLINK SIZE" in decimal, or the errno's name.
# Usage: perl chroot-stat.pl ROOT FOLLOW(0|1) PATH
use strict;
use warnings;
use Errno;

my ($root, $follow, $path) = @ARGV;
chroot($root) or die "chroot $root: $!\n";
chdir('/') or die "chdir /: $!\n";
my @s = $follow ? stat($path) : lstat($path);
if (!@s) {
  my ($name) = grep { $!{$_} } keys %!;
  print(($name // "errno $!"), "\n");
  exit 0;
}
print join(' ', $s[2], $s[4], $s[5], $s[3], $s[7]), "\n";
