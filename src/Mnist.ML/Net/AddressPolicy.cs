// Which IP addresses a server-side fetch may connect to: public unicast only (no loopback, private,
// link-local, CGNAT, multicast, documentation, unspecified or cloud-metadata addresses).
using System.Net;
using System.Net.Sockets;

namespace Mnist.ML.Net;

internal static class AddressPolicy
{
    /// <summary>True when <paramref name="address"/> is a public unicast address that a fetch may reach.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b)
    {
        return !(b[0] == 0                                      // 0.0.0.0/8 "this network", unspecified
            || b[0] == 10                                       // 10/8 private
            || b[0] == 100 && (b[1] & 0xC0) == 64               // 100.64/10 carrier-grade NAT
            || b[0] == 127                                      // 127/8 loopback
            || b[0] == 169 && b[1] == 254                       // 169.254/16 link-local, incl. 169.254.169.254 metadata
            || b[0] == 172 && (b[1] & 0xF0) == 16               // 172.16/12 private
            || b[0] == 192 && b[1] == 0 && b[2] == 0            // 192.0.0/24 IETF protocol assignments
            || b[0] == 192 && b[1] == 0 && b[2] == 2            // 192.0.2/24 documentation
            || b[0] == 192 && b[1] == 88 && b[2] == 99          // 192.88.99/24 6to4 relay anycast
            || b[0] == 192 && b[1] == 168                       // 192.168/16 private
            || b[0] == 198 && (b[1] & 0xFE) == 18               // 198.18/15 benchmarking
            || b[0] == 198 && b[1] == 51 && b[2] == 100         // 198.51.100/24 documentation
            || b[0] == 203 && b[1] == 0 && b[2] == 113          // 203.0.113/24 documentation
            || b[0] >= 224);                                    // 224/4 multicast, 240/4 reserved, broadcast
    }

    private static bool IsPublicV6(IPAddress address)
    {
        if (IPAddress.IPv6Any.Equals(address) || IPAddress.IPv6Loopback.Equals(address)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || address.IsIPv6UniqueLocal                        // fc00::/7, incl. fd00:ec2::254 (EC2 metadata)
            || address.IsIPv6Teredo)
        {
            return false;
        }
        byte[] b = address.GetAddressBytes();
        // ::/96 (IPv4-compatible, deprecated) and 64:ff9b::/96, 64:ff9b:1::/48 (NAT64): the IPv4 inside decides.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            return b[4] == 0 && b[5] == 0 && IsPublicV4(b.AsSpan(12, 4)) && b.AsSpan(6, 6).IndexOfAnyExcept((byte)0) < 0;
        }
        // 2002::/16 (6to4) embeds an IPv4 address in bytes 2..5.
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicV4(b.AsSpan(2, 4));
        }
        // 2001:db8::/32 documentation; 100::/64 discard.
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        {
            return false;
        }
        if (b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }
        return true;
    }
}
