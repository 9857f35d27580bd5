// Which addresses a server-side fetch may reach: only public unicast, never loopback, private, link-local,
// CGNAT, multicast, documentation, unspecified or cloud-metadata ones (IPv4, IPv6 and IPv4 inside IPv6).
using System.Net;
using Mnist.ML.Net;

namespace Mnist.ML.Tests.Net;

[TestClass]
public sealed class AddressPolicyTests
{
    [TestMethod]
    [DataRow("127.0.0.1")]
    [DataRow("127.255.255.254")]
    [DataRow("0.0.0.0")]
    [DataRow("10.0.0.1")]
    [DataRow("172.16.0.1")]
    [DataRow("172.31.255.255")]
    [DataRow("192.168.1.1")]
    [DataRow("169.254.169.254")] // AWS/GCP/Azure metadata
    [DataRow("100.64.0.1")]      // carrier-grade NAT
    [DataRow("100.127.255.255")]
    [DataRow("192.0.0.1")]
    [DataRow("192.0.2.1")]
    [DataRow("198.18.0.1")]
    [DataRow("198.51.100.1")]
    [DataRow("203.0.113.1")]
    [DataRow("224.0.0.1")]
    [DataRow("239.255.255.250")]
    [DataRow("240.0.0.1")]
    [DataRow("255.255.255.255")]
    [DataRow("::")]
    [DataRow("::1")]
    [DataRow("fe80::1")]
    [DataRow("fc00::1")]
    [DataRow("fd00:ec2::254")]   // AWS metadata over IPv6
    [DataRow("ff02::1")]
    [DataRow("::ffff:127.0.0.1")]
    [DataRow("::ffff:10.0.0.1")]
    [DataRow("::ffff:169.254.169.254")]
    [DataRow("::127.0.0.1")]
    [DataRow("64:ff9b::a00:1")]  // NAT64 of 10.0.0.1
    [DataRow("2002:a00:1::1")]   // 6to4 of 10.0.0.1
    [DataRow("2002:7f00:1::1")]  // 6to4 of 127.0.0.1
    [DataRow("2001:db8::1")]
    [DataRow("2001::1")]         // Teredo
    [DataRow("fec0::1")]         // site-local
    public void Refuses_non_public_addresses(string address) =>
        Assert.IsFalse(AddressPolicy.IsPublic(IPAddress.Parse(address)), address);

    [TestMethod]
    [DataRow("8.8.8.8")]
    [DataRow("1.1.1.1")]
    [DataRow("93.184.216.34")]
    [DataRow("172.15.255.255")]  // just below 172.16/12
    [DataRow("172.32.0.1")]      // just above
    [DataRow("100.63.255.255")]  // just below 100.64/10
    [DataRow("100.128.0.1")]     // just above
    [DataRow("169.253.1.1")]
    [DataRow("2606:4700:4700::1111")]
    [DataRow("2a00:1450:4001::1")]
    [DataRow("::ffff:8.8.8.8")]
    [DataRow("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    public void Allows_public_addresses(string address) =>
        Assert.IsTrue(AddressPolicy.IsPublic(IPAddress.Parse(address)), address);
}
